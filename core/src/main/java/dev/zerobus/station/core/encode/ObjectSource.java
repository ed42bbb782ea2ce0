package dev.zerobus.station.core.encode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * A value tree as Kafka Connect converters produce it: Map for records and maps, List (or an
 * array) for arrays, boxed numbers, String, Boolean, byte[]/ByteBuffer, BigDecimal, and
 * java.util.Date / java.time values for timestamps and dates.
 */
final class ObjectSource implements ValueSource {
  private final ArrayDeque<Iterator<?>> open = new ArrayDeque<>();
  private Object current;
  private boolean keyNotString;
  private boolean keyNull;

  ObjectSource(Object root) {
    this.current = root;
  }

  @Override
  public Kind kind() {
    Object v = current;
    if (v == null) {
      return Kind.NULL;
    }
    if (v instanceof String) {
      return Kind.STRING;
    }
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
        || v instanceof BigInteger) {
      return Kind.INTEGER;
    }
    if (v instanceof Double || v instanceof Float) {
      return Kind.FLOAT;
    }
    if (v instanceof BigDecimal) {
      return Kind.DECIMAL;
    }
    if (v instanceof Boolean b) {
      return b ? Kind.TRUE : Kind.FALSE;
    }
    if (v instanceof Map) {
      return Kind.OBJECT;
    }
    if (v instanceof Collection || v instanceof Object[]) {
      return Kind.ARRAY;
    }
    if (v instanceof byte[] || v instanceof ByteBuffer) {
      return Kind.BYTES;
    }
    return Kind.OTHER;
  }

  @Override
  public void enter() {
    Object v = current;
    open.push(v instanceof Map<?, ?> m ? m.entrySet().iterator()
        : v instanceof Collection<?> c ? c.iterator() : Arrays.asList((Object[]) v).iterator());
  }

  @Override
  public String nextField() {
    Iterator<?> it = open.peek();
    if (!it.hasNext()) {
      open.pop();
      return null;
    }
    Map.Entry<?, ?> e = (Map.Entry<?, ?>) it.next();
    current = e.getValue();
    keyNotString = !(e.getKey() instanceof String);
    keyNull = e.getKey() == null;
    return String.valueOf(e.getKey());
  }

  @Override
  public boolean keyNotString() {
    return keyNotString;
  }

  @Override
  public boolean keyNull() {
    return keyNull;
  }

  @Override
  public boolean nextElement() {
    Iterator<?> it = open.peek();
    if (!it.hasNext()) {
      open.pop();
      return false;
    }
    current = it.next();
    return true;
  }

  @Override
  public void skip() {
    // Nothing to consume: the tree is already in memory.
  }

  @Override
  public boolean fitsLong() {
    return !(current instanceof BigInteger b) || b.bitLength() <= 63;
  }

  @Override
  public long longValue() {
    return ((Number) current).longValue();
  }

  @Override
  public double doubleValue() {
    return ((Number) current).doubleValue();
  }

  @Override
  public String numberText() {
    return current.toString();
  }

  @Override
  public String text() {
    return (String) current;
  }

  @Override
  public char[] textChars() {
    return ((String) current).toCharArray();
  }

  @Override
  public int textOffset() {
    return 0;
  }

  @Override
  public int textLength() {
    return ((String) current).length();
  }

  @Override
  public byte[] bytes() {
    if (current instanceof byte[] b) {
      return b;
    }
    ByteBuffer copy = ((ByteBuffer) current).duplicate();
    byte[] b = new byte[copy.remaining()];
    copy.get(b);
    return b;
  }

  @Override
  public Object raw() {
    return current;
  }

  @Override
  public String describe() {
    Object v = current;
    if (v instanceof String s) {
      return "string \"" + Coercion.abbreviate(s) + "\"";
    }
    return v == null ? "null" : v.getClass().getName() + " " + Coercion.abbreviate(String.valueOf(v));
  }
}
