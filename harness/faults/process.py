"""Process faults through the stack supervisor: crash, freeze, bad deploy."""

from __future__ import annotations

from harness.errors import StackError
from harness.faults.base import Fault, FaultContext, register
from harness.scenario.fault_specs import CrashFault, DeployFault, FreezeFault

# How long a crash revert waits for the supervisor's own restart before restarting itself.
_SUPERVISOR_GRACE_S = 5.0


@register(CrashFault)
class Crash(Fault):
    """SIGKILL at `at`. At `at + for` the process must be back: the supervisor restarts the
    agent on its own (a restart policy); any other process is restarted here."""

    spec: CrashFault

    def apply(self, ctx: FaultContext) -> None:
        ctx.require_processes().kill(self.spec.target)

    def revert(self, ctx: FaultContext) -> None:
        spec = self.spec
        processes = ctx.require_processes()
        try:
            processes.wait_healthy(spec.target, min(_SUPERVISOR_GRACE_S, spec.health_timeout_s))
        except StackError:
            processes.restart(spec.target)
            processes.wait_healthy(spec.target, spec.health_timeout_s)


@register(FreezeFault)
class Freeze(Fault):
    """SIGSTOP for the window, then SIGCONT: the process holds its sockets but answers nothing."""

    def apply(self, ctx: FaultContext) -> None:
        ctx.require_processes().freeze(self.spec.target)

    def revert(self, ctx: FaultContext) -> None:
        ctx.require_processes().thaw(self.spec.target)


@register(DeployFault)
class Deploy(Fault):
    """Restart the agent with flag overrides (a bad release); revert redeploys the original
    flags (`restart(name, {})`: no overrides on top of the configured ones). When the new
    release never turns healthy, `apply` fails and the scheduler's revert redeploys at once."""

    spec: DeployFault

    def apply(self, ctx: FaultContext) -> None:
        spec = self.spec
        processes = ctx.require_processes()
        processes.restart(spec.target, dict(spec.set))
        processes.wait_healthy(spec.target, spec.health_timeout_s)

    def revert(self, ctx: FaultContext) -> None:
        spec = self.spec
        processes = ctx.require_processes()
        processes.restart(spec.target, {})
        processes.wait_healthy(spec.target, spec.health_timeout_s)
