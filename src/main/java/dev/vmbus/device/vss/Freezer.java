package dev.vmbus.device.vss;

import dev.vmbus.device.CommandRunner;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Freezes and thaws the configured mounts with the configured commands, as Linux's {@code hv_vss_daemon} does
 * with its ioctls: root last; on the first failure everything already frozen is thawed and the freeze fails.
 * Adds what the daemon lacks: application hooks around the freeze, logs held in memory from the start of a
 * freeze to the end of the thaw, and a time budget so the host always gets an answer.
 *
 * <p>Not thread-safe: one operation at a time, on the VSS verticle's context.
 */
final class Freezer {
    private static final Logger LOG = Logger.getLogger(Freezer.class.getName());

    /** One command of an operation and how it ended. */
    record Step(String what, List<String> command, boolean ok, String detail) {
        JsonObject toJson() {
            return new JsonObject().put("step", what).put("command", String.join(" ", command)).put("ok", ok)
                    .put("detail", detail);
        }
    }

    /** An operation's result: whether it succeeded, and every command it ran (or would have run). */
    record Outcome(boolean ok, List<Step> steps) {
    }

    private final VssSettings settings;
    private final CommandRunner runner;
    private final LogHold logs;
    private final List<String> frozenMounts = new ArrayList<>();
    private boolean frozen;
    /** Whether this process ran the pre-freeze hook and its post-thaw hook is still due. */
    private boolean hooked;

    Freezer(VssSettings settings, CommandRunner runner, LogHold logs) {
        this.settings = settings;
        this.runner = runner;
        this.logs = logs;
    }

    boolean frozen() {
        return frozen;
    }

    /** Runs the pre-freeze hook then freezes every mount; on failure, undoes what was done. */
    Future<Outcome> freeze(long budgetMs, long thawBudgetMs) {
        long deadline = System.nanoTime() + budgetMs * 1_000_000;
        List<Step> steps = new ArrayList<>();
        logs.hold();
        hooked = settings.preFreezeCommand() != null;
        Future<Boolean> chain = !hooked ? Future.succeededFuture(true)
                : step("pre-freeze hook", settings.preFreezeCommand(), deadline, steps);
        for (String mount : settings.freezeOrder()) {
            chain = chain.compose(ok -> !ok ? Future.succeededFuture(false)
                    : step("freeze " + mount, with(settings.freezeCommand(), mount), deadline, steps).map(done -> {
                        if (done) {
                            frozenMounts.add(mount);
                        }
                        return done;
                    }));
        }
        return chain.compose(ok -> {
            if (ok) {
                frozen = true;
                return Future.succeededFuture(new Outcome(true, steps));
            }
            return undo(steps, thawBudgetMs).map(x -> {
                stillFrozen();
                return new Outcome(false, steps);
            });
        });
    }

    /**
     * Thaws every frozen mount (last frozen first), runs the post-thaw hook, and releases the held logs. With
     * nothing frozen by this process, every configured mount is thawed all the same, root first: Linux's
     * {@code hv_vss_daemon} runs FITHAW on every file system whatever it believes, and takes only EINVAL (not
     * frozen) for success. An agent that froze them and died (a crash, the watchdog, a stop cut short) left nothing
     * in memory to say so, and the host's THAW must still thaw them. A thaw whose output says "Invalid argument"
     * (fsfreeze's EINVAL) is a mount that was not frozen; any other failure keeps the mount as frozen, so the THAW
     * fails and the auto-thaw tries again.
     */
    Future<Outcome> thaw(long budgetMs) {
        List<Step> steps = new ArrayList<>();
        if (!frozen) {
            return thawUnknown(steps, budgetMs).map(ok -> {
                stillFrozen();
                return new Outcome(ok, steps);
            });
        }
        return undo(steps, budgetMs).map(ok -> {
            frozen = false; // only now: until the thaw commands are done, the file systems are frozen
            stillFrozen();
            return new Outcome(ok, steps);
        });
    }

    /** Each configured mount's thaw, none known frozen here; true unless one may still be frozen. */
    private Future<Boolean> thawUnknown(List<Step> steps, long budgetMs) {
        long deadline = System.nanoTime() + budgetMs * 1_000_000;
        boolean[] all = {true};
        Future<Boolean> chain = Future.succeededFuture(true);
        for (String mount : settings.freezeOrder().reversed()) {
            chain = chain.compose(x -> thawUnknown(mount, deadline, steps).map(ok -> {
                if (!ok) {
                    all[0] = false;
                    frozenMounts.add(mount); // it may be frozen: the auto-thaw tries it again
                }
                return ok;
            }));
        }
        return chain.map(x -> all[0]);
    }

    /** One mount's thaw, not known frozen: EINVAL ("Invalid argument") is a mount that was not frozen. */
    private Future<Boolean> thawUnknown(String mount, long deadline, List<Step> steps) {
        String what = "thaw " + mount + " (not frozen by this agent)";
        List<String> command = with(settings.thawCommand(), mount);
        if (settings.dryRun() || deadline - System.nanoTime() <= 0) {
            return step(what, command, deadline, steps);
        }
        return runner.run(command, (deadline - System.nanoTime()) / 1_000_000).map(r -> {
            boolean notFrozen = !r.succeeded() && !r.timedOut() && r.output().contains("Invalid argument");
            steps.add(new Step(what, command, r.succeeded() || notFrozen, notFrozen
                    ? "not frozen (EINVAL, as Linux's daemon takes it): " + r.summary() : r.summary()));
            if (r.succeeded()) {
                LOG.warning("vss: " + mount + " thawed, though this agent had not frozen it (one that froze it went"
                        + " without thawing)");
            } else if (!notFrozen) {
                LOG.severe("vss: " + what + " failed: " + r.summary() + "; it may still be frozen");
            }
            return r.succeeded() || notFrozen;
        }).recover(e -> {
            steps.add(new Step(what, command, false, "could not start: " + e.getMessage()));
            LOG.severe("vss: " + what + " could not start: " + e.getMessage() + "; it may still be frozen");
            return Future.succeededFuture(false);
        });
    }

    /** A mount whose thaw failed is still frozen: keep saying so, and keep the logs in memory. */
    private void stillFrozen() {
        if (!frozenMounts.isEmpty()) {
            frozen = true;
            logs.hold();
        }
    }

    /** Thaws what is frozen and runs the post-thaw hook; true if every mount thawed. */
    private Future<Boolean> undo(List<Step> steps, long budgetMs) {
        long deadline = System.nanoTime() + budgetMs * 1_000_000;
        List<String> toThaw = new ArrayList<>(frozenMounts.reversed());
        boolean[] allThawed = {true};
        Future<Boolean> chain = Future.succeededFuture(true);
        for (String mount : toThaw) {
            // every mount gets its thaw, whatever happened to the one before
            chain = chain.compose(x -> step("thaw " + mount, with(settings.thawCommand(), mount), deadline, steps)
                    .map(ok -> {
                        if (ok) {
                            frozenMounts.remove(mount);
                        } else {
                            allThawed[0] = false;
                        }
                        return ok;
                    }));
        }
        if (settings.postThawCommand() != null && hooked) { // the hooks come in pairs: not for another's freeze
            hooked = false;
            chain = chain.compose(x -> step("post-thaw hook", settings.postThawCommand(), deadline, steps));
        }
        return chain.map(x -> {
            int held = logs.release();
            if (!allThawed[0]) {
                LOG.severe("vss: some mounts are still frozen: " + frozenMounts);
            }
            LOG.fine("vss: released " + held + " log records held during the freeze");
            return allThawed[0];
        });
    }

    private Future<Boolean> step(String what, List<String> command, long deadline, List<Step> steps) {
        if (settings.dryRun()) {
            LOG.info("vss: dry run, would " + what + ": " + String.join(" ", command));
            steps.add(new Step(what, command, true, "dry run"));
            return Future.succeededFuture(true);
        }
        long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
        if (remainingMs <= 0) {
            steps.add(new Step(what, command, false, "not run: the operation's time budget is spent"));
            return Future.succeededFuture(false);
        }
        return runner.run(command, remainingMs).map(r -> {
            steps.add(new Step(what, command, r.succeeded(), r.summary()));
            if (!r.succeeded()) {
                LOG.warning("vss: " + what + " failed: " + r.summary());
            }
            return r.succeeded();
        }).recover(e -> {
            steps.add(new Step(what, command, false, "could not start: " + e.getMessage()));
            LOG.warning("vss: " + what + " could not start: " + e.getMessage());
            return Future.succeededFuture(false);
        });
    }

    private static List<String> with(List<String> command, String mount) {
        List<String> line = new ArrayList<>(command);
        line.add(mount);
        return line;
    }
}
