package dev.zerobus.station.connector;

/** The connector's version, from the jar's manifest (the build's project version). */
final class Version {
  private Version() {}

  static String get() {
    String v = Version.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
