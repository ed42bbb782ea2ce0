package dev.zerobus.station.core.delivery;

import dev.zerobus.station.core.table.TableDefinition;
import java.time.Instant;

/**
 * A table's streams at a glance.
 *
 * @param state the least healthy lane's state
 * @param openedAt when the current stream of the first open lane was created (null: none open)
 * @param streamsOpened streams created so far (more than the lane count means replacements)
 * @param recordsAccepted records handed to the SDK (replays not counted again)
 * @param recordsDurable records Zerobus acknowledged as durable
 * @param recordsFailed records given up on (non-retryable errors)
 * @param recordsReplayed records sent again on a new stream after the SDK gave one up
 * @param inflightRecords handed to the SDK, not yet durable
 * @param queuedRecords waiting for the SDK
 * @param lastError the most recent stream error, or null
 * @param schemaVersion the table's schema version: 1 at start, one more for each change adopted
 * @param schemaNotice the last change seen in the table's Unity Catalog columns, or null
 */
public record TableHealth(
    String table,
    String tableName,
    StreamState state,
    Instant openedAt,
    long streamsOpened,
    long recordsAccepted,
    long recordsDurable,
    long recordsFailed,
    long recordsReplayed,
    long inflightRecords,
    long queuedRecords,
    String lastError,
    int schemaVersion,
    TableDefinition.SchemaNotice schemaNotice) {

  /**
   * A lane's state, in order of health: a table reports its worst lane. The lane's state machine
   * moves only along {@code Lane.TRANSITIONS}; docs/delivery.md draws it.
   */
  public enum StreamState {
    /** No stream: none needed yet, or closed after standing idle. The next record opens one. */
    IDLE,
    /** A stream is open and records flow. */
    OPEN,
    /** Opening a stream, first time or after idling; records wait. */
    OPENING,
    /** A stream was lost or could not be opened: a new one is opened after a pause, and what was not acknowledged is replayed. */
    RECOVERING,
    /** The service refused a record: the unacknowledged calls are sent again in halves until the refused records are found. */
    ISOLATING,
    /** A non-retryable error (credentials, permission, schema): ingest is refused until the cooldown ends. */
    FAILED,
    /** Stopped for good. */
    CLOSED
  }

  public boolean streamActive() {
    return state == StreamState.OPEN;
  }
}
