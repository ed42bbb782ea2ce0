package dev.zerobus.station.core.encode;

/**
 * Decimal text such as {@code -12.5}, {@code 1e3} or {@code .5}, read in one pass without building a
 * number: its sign, where its significant digits are and its exponent. Integer and DECIMAL columns
 * judge a number's range from this, so text like {@code 1e1000000} or a million digits costs a
 * scan and nothing more.
 */
final class NumberText {
  /** Exponents are read up to this; past it a number is out of every column's range anyway. */
  static final long EXPONENT_CAP = 1_000_000_000_000L;
  /** Significant digits kept: enough for DECIMAL(38) and for 64-bit integers. */
  private static final int KEEP = 39;

  final boolean negative;
  private final char[] digits;
  /** Positions, among all the digits written, of the first and last non-zero digit; -1 for zero. */
  private final long first;
  private final long last;
  /** How many digits were written before the point. */
  private final long integral;
  private final long exponent;

  private NumberText(boolean negative, char[] digits, long first, long last, long integral, long exponent) {
    this.negative = negative;
    this.digits = digits;
    this.first = first;
    this.last = last;
    this.integral = integral;
    this.exponent = exponent;
  }

  /**
   * Reads an optional sign, digits with at most one point (at least one digit), and an optional
   * exponent ({@code e} or {@code E}, optional sign, digits).
   *
   * @return null when the text is anything else
   */
  static NumberText read(CharSequence s) {
    int n = s.length();
    int i = 0;
    boolean negative = false;
    if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    char[] kept = new char[KEEP];
    int keptCount = 0;
    long count = 0;
    long pointAt = -1;
    long first = -1;
    long last = -1;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        if (c != '0') {
          first = first < 0 ? count : first;
          last = count;
        }
        if (first >= 0 && keptCount < KEEP) {
          kept[keptCount++] = c;
        }
        count++;
      } else if (c == '.' && pointAt < 0) {
        pointAt = count;
      } else {
        break;
      }
    }
    if (count == 0) {
      return null;
    }
    long exponent = 0;
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      boolean expNegative = i < n && s.charAt(i) == '-';
      if (i < n && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
        i++;
      }
      int start = i;
      for (; i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) {
        if (exponent < EXPONENT_CAP) {
          exponent = exponent * 10 + (s.charAt(i) - '0');
        }
      }
      if (i == start) {
        return null;
      }
      exponent = expNegative ? -exponent : exponent;
    }
    return i == n ? new NumberText(negative, kept, first, last, pointAt < 0 ? count : pointAt, exponent) : null;
  }

  boolean isZero() {
    return first < 0;
  }

  /** The power of ten of the last significant digit: the value is its significant digits times 10^this. */
  long lastPower() {
    return integral - 1 - last + exponent;
  }

  /** How many digits the value needs before the point (0 below 1). */
  long digitsBefore() {
    return Math.max(0, integral - first + exponent);
  }

  /** How many digits the value needs after the point, trailing zeros aside. */
  long digitsAfter() {
    return Math.max(0, -lastPower());
  }

  /** Appends the significant digits, first to last non-zero; only for up to 39 of them. */
  void appendSignificant(StringBuilder out) {
    int length = (int) (last - first + 1);
    if (length > KEEP) {
      throw new IllegalStateException(length + " significant digits; only " + KEEP + " are kept");
    }
    out.append(digits, 0, length);
  }

  /** How many significant digits, first to last non-zero. */
  long significantCount() {
    return isZero() ? 0 : last - first + 1;
  }
}
