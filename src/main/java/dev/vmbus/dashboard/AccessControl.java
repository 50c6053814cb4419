package dev.vmbus.dashboard;

import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The dashboard's token rules: bound to loopback with no token configured, reading is open; bound to anything
 * else, a token is required (start-up fails without one) and checked on every API, stream and metrics request.
 * Host control always needs the token: when none is configured, one is generated at start-up and logged with
 * the page's address.
 */
record AccessControl(String token, boolean readRequiresToken, boolean generated) {
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "::1", "localhost", "[::1]");

    /**
     * @param configured the token from the config file or {@code VMBUS_DASHBOARD_TOKEN}, or null
     * @throws IllegalArgumentException when binding beyond loopback without a token, or a token too short
     */
    static AccessControl of(String bindHost, String configured) {
        boolean loopback = LOOPBACK.contains(bindHost);
        if (configured != null && configured.length() < 16) {
            throw new IllegalArgumentException("dashboard.token must be at least 16 characters");
        }
        if (!loopback && configured == null) {
            throw new IllegalArgumentException("dashboard.host is " + bindHost + ", which is not loopback: set"
                    + " dashboard.token (or VMBUS_DASHBOARD_TOKEN) so that every request must carry it");
        }
        if (configured != null) {
            return new AccessControl(configured, true, false);
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return new AccessControl(HexFormat.of().formatHex(random), false, true);
    }

    /** Whether the request carries the token ({@code Authorization: Bearer} or, for EventSource, {@code ?token=}). */
    boolean presented(RoutingContext ctx) {
        String auth = ctx.request().getHeader("Authorization");
        String given = null;
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            given = auth.substring(7).trim();
        } else if (ctx.request().getParam("token") != null) {
            given = ctx.request().getParam("token");
        }
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    /** Route handler for reads: passes if the token is not required here or is presented. */
    void checkRead(RoutingContext ctx) {
        if (!readRequiresToken || presented(ctx)) {
            ctx.next();
        } else {
            deny(ctx);
        }
    }

    /** Route handler for host control: the token, always. */
    void checkControl(RoutingContext ctx) {
        if (presented(ctx)) {
            ctx.next();
        } else {
            deny(ctx);
        }
    }

    private static void deny(RoutingContext ctx) {
        ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"vmbus\"")
                .putHeader("Content-Type", "application/json")
                .end("{\"error\":\"a valid token is required (Authorization: Bearer <token>)\"}");
    }

    /** Never the token itself: this may end up in a log. */
    @Override
    public String toString() {
        return "AccessControl[token=(hidden), readRequiresToken=" + readRequiresToken + ", generated=" + generated + "]";
    }
}
