package dev.zerobus.station.core.encode;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** JSON tokens from a streaming parser, read straight into the encoder: no tree, no maps. */
final class JsonSource implements ValueSource {
  private final JsonParser p;
  private JsonToken t;

  /** A source standing on the parser's current token. */
  JsonSource(JsonParser p) {
    this.p = p;
    this.t = p.currentToken();
  }

  @Override
  public Kind kind() {
    return t == null ? Kind.NULL : KINDS[t.ordinal()];
  }

  /** Token to kind by ordinal: the hot path asks this for every value. */
  private static final Kind[] KINDS = kinds();

  private static Kind[] kinds() {
    Kind[] out = new Kind[JsonToken.values().length];
    java.util.Arrays.fill(out, Kind.OTHER);
    out[JsonToken.START_OBJECT.ordinal()] = Kind.OBJECT;
    out[JsonToken.START_ARRAY.ordinal()] = Kind.ARRAY;
    out[JsonToken.VALUE_NUMBER_INT.ordinal()] = Kind.INTEGER;
    out[JsonToken.VALUE_NUMBER_FLOAT.ordinal()] = Kind.FLOAT;
    out[JsonToken.VALUE_STRING.ordinal()] = Kind.STRING;
    out[JsonToken.VALUE_TRUE.ordinal()] = Kind.TRUE;
    out[JsonToken.VALUE_FALSE.ordinal()] = Kind.FALSE;
    out[JsonToken.VALUE_NULL.ordinal()] = Kind.NULL;
    return out;
  }

  @Override
  public void enter() {
    // The parser is already at START_OBJECT; nextField() reads on from there.
  }

  @Override
  public String nextField() throws IOException {
    JsonToken name = p.nextToken();
    if (name != JsonToken.FIELD_NAME) {
      t = name;
      return null;
    }
    String n = p.currentName();
    t = p.nextToken();
    return n;
  }

  /** The token after the object's last field: END_OBJECT unless the JSON is malformed. */
  boolean closedObject() {
    return t == JsonToken.END_OBJECT;
  }

  @Override
  public boolean keyNotString() {
    return false;
  }

  @Override
  public boolean keyNull() {
    return false;
  }

  @Override
  public boolean nextElement() throws IOException {
    t = p.nextToken();
    return t != JsonToken.END_ARRAY && t != null;
  }

  @Override
  public void skip() throws IOException {
    p.skipChildren();
  }

  @Override
  public boolean fitsLong() throws IOException {
    JsonParser.NumberType n = p.getNumberType();
    return n == JsonParser.NumberType.INT || n == JsonParser.NumberType.LONG;
  }

  @Override
  public long longValue() throws IOException {
    return p.getLongValue();
  }

  @Override
  public double doubleValue() throws IOException {
    return p.getDoubleValue();
  }

  @Override
  public String numberText() throws IOException {
    return p.getText();
  }

  @Override
  public String text() throws IOException {
    return p.getText();
  }

  @Override
  public char[] textChars() throws IOException {
    return p.getTextCharacters();
  }

  @Override
  public int textOffset() throws IOException {
    return p.getTextOffset();
  }

  @Override
  public int textLength() throws IOException {
    return p.getTextLength();
  }

  @Override
  public byte[] bytes() {
    throw new IllegalStateException("JSON has no raw bytes");
  }

  @Override
  public Object raw() {
    return null;
  }

  @Override
  public String describe() throws IOException {
    if (t == null) {
      return "nothing";
    }
    switch (t) {
      case VALUE_STRING:
        return "string \"" + Coercion.abbreviate(p.getText()) + "\"";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "number " + Coercion.abbreviate(p.getText());
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "boolean " + p.getText();
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      default:
        return t.asString() == null ? t.name() : t.asString();
    }
  }
}
