package dev.zerobus.station.core.encode;

import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.zerobus.station.core.encode.EncodePlan.FieldPlan;
import dev.zerobus.station.core.encode.ValueSource.Kind;
import dev.zerobus.station.core.errors.EncodeException;
import java.io.IOException;
import java.math.BigDecimal;

/** FLOAT and DOUBLE columns: numbers and the special values as text, checked against the field's range. */
final class Floats {
  private final String table;

  Floats(String table) {
    this.table = table;
  }

  /** Writes the source's current value of floating-point field f. */
  void write(ValueSource src, FieldPlan f, ProtoWriter w, String path, boolean tagged)
      throws EncodeException, IOException {
    double d = src.kind() == Kind.FLOAT ? finite(src, f, path) : floating(src, f, path);
    if (f.wire == FieldDescriptor.Type.FLOAT) {
      if (Double.isFinite(d) && Math.abs(d) > Float.MAX_VALUE) {
        throw outOfRange(path, f, Double.toString(d));
      }
      Coercion.tag(w, f, ProtoWriter.FIXED32, tagged);
      w.fixed32(Float.floatToIntBits((float) d));
    } else {
      Coercion.tag(w, f, ProtoWriter.FIXED64, tagged);
      w.fixed64(Double.doubleToLongBits(d));
    }
  }

  private double floating(ValueSource src, FieldPlan f, String path) throws EncodeException, IOException {
    Kind k = src.kind();
    if (k == Kind.INTEGER || k == Kind.FLOAT || k == Kind.DECIMAL) {
      return finite(src, f, path);
    }
    if (k == Kind.STRING) {
      return special(src.text(), path);
    }
    throw Coercion.wrongType(table, path, "a number", src.describe());
  }

  /**
   * A number as a double. Finite text too large for a double (1e400) is refused, not stored as
   * Infinity; only a Double or Float object can be infinite itself.
   */
  private double finite(ValueSource src, FieldPlan f, String path) throws EncodeException, IOException {
    double d = src.kind() == Kind.DECIMAL ? ((BigDecimal) src.raw()).doubleValue() : src.doubleValue();
    if (Double.isInfinite(d) && !(src.raw() instanceof Double) && !(src.raw() instanceof Float)) {
      throw outOfRange(path, f, Coercion.abbreviate(src.numberText()));
    }
    return d;
  }

  private double special(String s, String path) throws EncodeException {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        throw Coercion.wrongType(table, path, "a number", "string \"" + Coercion.abbreviate(s) + "\"");
    }
  }

  private EncodeException outOfRange(String path, FieldPlan f, String value) {
    return new EncodeException(table, path, value + " is out of range for " + f.typeName);
  }
}
