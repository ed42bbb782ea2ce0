package dev.zerobus.station.core;

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
    if (t == null) {
      return Kind.NULL;
    }
    switch (t) {
      case START_OBJECT:
        return Kind.OBJECT;
      case START_ARRAY:
        return Kind.ARRAY;
      case VALUE_NUMBER_INT:
        return Kind.INTEGER;
      case VALUE_NUMBER_FLOAT:
        return Kind.FLOAT;
      case VALUE_STRING:
        return Kind.STRING;
      case VALUE_TRUE:
        return Kind.TRUE;
      case VALUE_FALSE:
        return Kind.FALSE;
      case VALUE_NULL:
        return Kind.NULL;
      default:
        return Kind.OTHER;
    }
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
