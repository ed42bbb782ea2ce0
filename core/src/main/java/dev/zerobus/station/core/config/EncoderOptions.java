package dev.zerobus.station.core.config;

/**
 * How strict the encoder is beyond types and ranges, which it always checks. Both faces make it
 * from the settings table ({@link Settings#encoderOptions()}: {@code unknown.fields},
 * {@code string.max.length}).
 *
 * @param ignoreUnknownFields skip fields the table does not have instead of rejecting the record
 * @param maxStringLength reject strings longer than this many characters (0: no limit)
 */
public record EncoderOptions(boolean ignoreUnknownFields, int maxStringLength) {
  public static final EncoderOptions STRICT = new EncoderOptions(false, 0);

  public EncoderOptions {
    if (maxStringLength < 0) {
      throw new IllegalArgumentException("maxStringLength must be >= 0");
    }
  }
}
