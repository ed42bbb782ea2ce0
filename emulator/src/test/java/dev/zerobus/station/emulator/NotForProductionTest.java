package dev.zerobus.station.emulator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Whoever starts the emulator is told it is a local emulator, not a production service. */
class NotForProductionTest {
  private static final String PHRASE = "local emulator — not for production";

  @Test
  void theHelpSaysIt() {
    String help = EmulatorMain.commandLine().getUsageMessage();
    assertTrue(help.contains(PHRASE), help);
    assertTrue(help.contains("--max-tables"), help);
  }

  @Test
  void theStartBannerSaysIt() throws Exception {
    try (ZerobusEmulator emulator = ZerobusEmulator.builder().start()) {
      String banner = new EmulatorMain().banner(emulator);
      assertTrue(banner.lines().findFirst().orElseThrow().contains(PHRASE), banner);
    }
  }

  /** Anything but loopback gets the warning that the admin API and token endpoint have no real authentication. */
  @Test
  void onlyLoopbackAddressesGoWithoutTheWarning() {
    assertFalse(ZerobusEmulator.reachableBeyondLoopback("127.0.0.1"));
    assertFalse(ZerobusEmulator.reachableBeyondLoopback("localhost"));
    assertFalse(ZerobusEmulator.reachableBeyondLoopback("::1"));
    assertTrue(ZerobusEmulator.reachableBeyondLoopback("0.0.0.0"));
    assertTrue(ZerobusEmulator.reachableBeyondLoopback("::"));
    assertTrue(ZerobusEmulator.reachableBeyondLoopback("192.0.2.10"));
  }
}
