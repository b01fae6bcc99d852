"""The run directory's records: one typed declaration each (`schema`), one writer per file
(`files`). See docs/contracts.md, "Run directory"."""

from harness.records.files import (
    ALERTS_FILE,
    FAULTS_FILE,
    STACK_EVENTS_FILE,
    RecordFile,
    StackEventLog,
    as_row,
    line,
    stamp,
    write_alerts,
)
from harness.records.schema import (
    ALERT_COLUMNS,
    CLIENT_ERRORS,
    CRASH_EVENTS,
    FAULT_COLUMNS,
    IN_FLIGHT_ERROR,
    LLM_CALL_COLUMNS,
    REQUEST_COLUMNS,
    RESTART_EVENTS,
    STACK_EVENT_COLUMNS,
    TOOL_CALL_COLUMNS,
    AlertEpisode,
    FaultEvent,
    FaultEventName,
    LedgerRow,
    RequestRecord,
    StackEvent,
    ToolCall,
    columns,
)

__all__ = [
    "ALERTS_FILE", "ALERT_COLUMNS", "CLIENT_ERRORS", "CRASH_EVENTS", "FAULTS_FILE",
    "FAULT_COLUMNS", "IN_FLIGHT_ERROR", "LLM_CALL_COLUMNS", "REQUEST_COLUMNS", "RESTART_EVENTS",
    "STACK_EVENTS_FILE", "STACK_EVENT_COLUMNS", "TOOL_CALL_COLUMNS", "AlertEpisode",
    "FaultEvent", "FaultEventName", "LedgerRow", "RecordFile", "RequestRecord", "StackEvent",
    "StackEventLog", "ToolCall", "as_row", "columns", "line", "stamp", "write_alerts",
]  # fmt: skip
