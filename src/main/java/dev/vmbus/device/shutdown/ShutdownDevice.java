package dev.vmbus.device.shutdown;

import dev.vmbus.channel.DeviceClass;
import dev.vmbus.channel.HostComplaints.Kind;
import dev.vmbus.device.CommandRunner;
import dev.vmbus.spi.IcChannelState;
import dev.vmbus.spi.IcDevice;
import dev.vmbus.spi.Reply;
import dev.vmbus.ic.IcStatus;
import dev.vmbus.ic.IcConstants;
import dev.vmbus.ic.IcMessage;
import dev.vmbus.ic.IcVersion;
import dev.vmbus.ic.shutdown.ShutdownAction;
import dev.vmbus.ic.shutdown.ShutdownMessage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The guest's shutdown service (spec ic-protocols.md section 3.3), as Linux's {@code shutdown_onchannelcallback}:
 * a request shorter than the full 2060-byte body gets no reply; the whole flags value decides (0/1 power off,
 * 2/3 reboot, 4/5 hibernate if supported (never on the uio transport: the kernel cannot hibernate with a device on
 * {@code uio_hv_generic}), anything else {@code HV_E_FAIL}); the reply is on the ring before the
 * action starts. The action is the configured command, or with {@code dryRun} a log line and a record.
 */
public final class ShutdownDevice extends IcDevice<IcChannelState> {
    private static final Logger LOG = Logger.getLogger(ShutdownDevice.class.getName());
    /** Linux's lists (hv_util.c), most preferred first. */
    public static final List<IcVersion> FRAMEWORK_VERSIONS = List.of(IcVersion.of(3, 0), IcVersion.of(1, 0));
    public static final List<IcVersion> SERVICE_VERSIONS =
            List.of(IcVersion.of(3, 2), IcVersion.of(3, 1), IcVersion.of(3, 0), IcVersion.of(1, 0));
    /** How many requests the dashboard shows. */
    static final int HISTORY = 20;
    /** How long a power-off or reboot command may take to hand the request to the init system. */
    static final long COMMAND_TIMEOUT_MS = 60_000;

    private final ShutdownSettings settings;
    /** Why this guest cannot hibernate whatever {@code hibernateCommand} says, or null. */
    private final String noHibernation;
    private final Deque<ShutdownRequest> history = new ArrayDeque<>();
    private CommandRunner runner;

    public ShutdownDevice(ShutdownSettings settings) {
        this(settings, null);
    }

    /**
     * @param noHibernation why this guest cannot hibernate at all, or null: on the uio transport this device is itself
     *                      on {@code uio_hv_generic}, and the kernel aborts hibernation then (kernel review F7), so a
     *                      hibernate request is refused ({@code HV_E_FAIL}, as a guest without S4) instead of accepted
     *                      and then failing in the kernel while the host waits
     */
    public ShutdownDevice(ShutdownSettings settings, String noHibernation) {
        super(DeviceClass.SHUTDOWN.name(), FRAMEWORK_VERSIONS, SERVICE_VERSIONS, IcChannelState::new);
        this.settings = settings;
        this.noHibernation = noHibernation;
    }

    /** Whether a hibernate request is accepted: a command for it, and nothing that makes it impossible. */
    private boolean hibernationSupported() {
        return settings.hibernationSupported() && noHibernation == null;
    }

    @Override
    protected Future<?> startService() {
        runner = new CommandRunner(vertx);
        if (settings.hibernationSupported() && noHibernation != null) {
            LOG.warning("shutdown: devices.shutdown.hibernateCommand is not used: " + noHibernation
                    + "; the host's hibernate requests are refused (HV_E_FAIL)");
        }
        return Future.succeededFuture();
    }

    @Override
    protected Future<Reply> handle(IcChannelState state, IcMessage m) {
        if (m.msgType() != IcConstants.MSGTYPE_SHUTDOWN) {
            return unexpectedType(m);
        }
        if (!m.hasBody(ShutdownMessage.BODY_LENGTH)) {
            return Future.succeededFuture(Reply.none()); // Linux requires the whole message
        }
        int flags = m.u32(ShutdownMessage.FLAGS);
        Optional<ShutdownAction> action = ShutdownAction.forFlags(flags)
                .filter(a -> a != ShutdownAction.HIBERNATE || hibernationSupported());
        IcStatus status = action.isPresent() ? IcConstants.S_OK : IcConstants.E_FAIL;
        m.status(status);
        ShutdownRequest request = new ShutdownRequest(Instant.now(), flags, m.u32(ShutdownMessage.REASON_CODE),
                action.map(ShutdownAction::label).orElse(null), status, null);
        if (action.isEmpty()) {
            record(request.withOutcome(ShutdownAction.forFlags(flags).isEmpty() ? "refused: unknown flags value"
                    : noHibernation != null ? "refused: hibernation is impossible here: " + noHibernation
                    : "refused: hibernation is not supported (no hibernateCommand)"));
            complain(state.relid(), Kind.REFUSED_REQUEST, "shutdown: refused a request with flags " + flags);
            return Future.succeededFuture(Reply.echo());
        }
        ShutdownAction accepted = action.get();
        return Future.succeededFuture(Reply.echo().then(() -> act(accepted, request)));
    }

    /** Runs once the reply is on the ring: Linux answers first, then powers off. */
    private void act(ShutdownAction action, ShutdownRequest request) {
        List<String> command = settings.command(action);
        if (settings.dryRun()) {
            LOG.warning("shutdown: the host asked for " + action.label() + "; dry run, not running " + command);
            record(request.withOutcome("dry run: would run " + String.join(" ", command)));
            return;
        }
        LOG.warning("shutdown: the host asked for " + action.label() + "; running " + command);
        ShutdownRequest running = request.withOutcome("running " + String.join(" ", command));
        record(running);
        runner.run(command, COMMAND_TIMEOUT_MS).onComplete(ar -> {
            String outcome = ar.succeeded() ? ar.result().summary() : "could not start: " + ar.cause().getMessage();
            if (ar.failed() || !ar.result().succeeded()) {
                LOG.severe("shutdown: " + action.label() + " command failed: " + outcome);
            }
            replace(running, request.withOutcome(outcome));
        });
    }

    private void record(ShutdownRequest request) {
        history.addFirst(request);
        while (history.size() > HISTORY) {
            history.removeLast();
        }
    }

    /** Puts the finished request where its "running" entry was, so the history stays in arrival order. */
    private void replace(ShutdownRequest running, ShutdownRequest finished) {
        List<ShutdownRequest> list = new java.util.ArrayList<>(history);
        int at = list.indexOf(running);
        if (at < 0) {
            return; // pushed out of the history by newer requests meanwhile
        }
        list.set(at, finished);
        history.clear();
        history.addAll(list);
    }

    /** The requests seen, newest first. */
    public List<ShutdownRequest> requests() {
        return List.copyOf(history);
    }

    @Override
    public JsonObject state() {
        JsonArray requests = new JsonArray();
        history.forEach(r -> requests.add(r.toJson()));
        return super.state().put("dryRun", settings.dryRun())
                .put("hibernationSupported", hibernationSupported()).put("hibernationImpossible", noHibernation)
                .put("requests", requests);
    }
}
