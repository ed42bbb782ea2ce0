package dev.zerobus.station.core.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerobus.station.core.delivery.TableHealth.StreamState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/delivery.md draws the lane's state machine; this keeps the drawing and Lane.TRANSITIONS the same. */
class LaneStatesDocTest {
  private static final Pattern EDGE = Pattern.compile("^\\s*([A-Z]+) --> ([A-Z]+)(?::.*)?$");

  @Test
  void theDiagramInDeliveryMdIsTheCodesStateMachine() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "delivery.md"));
    int start = doc.indexOf("```mermaid\nstateDiagram-v2\n");
    assertTrue(start >= 0, "docs/delivery.md has the lane's state diagram");
    String diagram = doc.substring(start, doc.indexOf("```", start + 3));
    Map<StreamState, Set<StreamState>> drawn = new EnumMap<>(StreamState.class);
    for (StreamState s : StreamState.values()) {
      drawn.put(s, EnumSet.noneOf(StreamState.class));
    }
    for (String line : diagram.split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.matches()) {
        drawn.get(StreamState.valueOf(m.group(1))).add(StreamState.valueOf(m.group(2)));
      }
    }
    assertEquals(Lane.TRANSITIONS, drawn, "docs/delivery.md's diagram and Lane.TRANSITIONS differ");
    for (StreamState s : StreamState.values()) {
      assertTrue(Lane.TRANSITIONS.containsKey(s), s + " has its moves listed");
    }
  }
}
