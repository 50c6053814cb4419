package dev.vmbus.dashboard;

import dev.vmbus.config.VmbusConfig;
import dev.vmbus.testkit.AgentInternals;
import dev.vmbus.testkit.TestAgent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in real headless Chromium (Debian's chromium and chromedriver) against the whole agent on the
 * sim transport with two extra heartbeat channels (relids 7 and 8): health in colour and words for a fault, a
 * stopped heartbeat and a ring filled while the host does not read, each within two updates of the server
 * saying so and healed by a re-offer; sorting and filtering; the drill-down's ring indices against the API;
 * chart history across a reload; a hostile KVP value shown as text. The screenshot is target/dashboard.png. And the
 * layout: at 1400 px and at 800 px (one column of cards) nothing inside a card or the channel table is wider than
 * its box, chart legends show values and units without a pointer, and a channel row's trend moves with traffic;
 * the screenshots are target/dashboard-1400.png and target/dashboard-800.png. And the synthetic NIC's panel (guest
 * netvsc with two queues against the host's loopback NIC): link, MAC, MTU, queues and per-queue rates under
 * traffic (target/dashboard-nic.png).
 */
@Tag("slow") // child JVMs, processes or a browser: run by mvn verify, not by mvn test
class DashboardBrowserTest {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String HOSTILE = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
    private static final long UPDATE_MS = 500;

    @TempDir
    Path tmp;
    private TestAgent agent;
    private DashboardClient h;
    private ChromeDriver browser;
    private JavascriptExecutor js;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        assertTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
                "the browser test needs Debian's chromium and chromium-driver (scripts/test.sh installs them)");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1600,2400", "--user-data-dir=" + tmp.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        js = browser;
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (h != null) {
            h.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    private Object run(String script, Object... args) {
        return js.executeScript(script, args);
    }

    /** "relid health class state problem" of every visible row, in table order. */
    @SuppressWarnings("unchecked")
    private List<String> rows() {
        return (List<String>) run("return [...document.querySelectorAll('#channels tbody tr')].filter(tr => !tr.hidden)"
                + ".map(tr => tr.children[1].textContent + ' ' + tr.children[0].textContent + ' ' + tr.children[2].textContent"
                + " + ' ' + tr.children[3].textContent + ' ' + tr.children[4].textContent)");
    }

    private String row(int relid) {
        return String.valueOf(run("const tr = document.querySelector(\"#channels tbody tr[data-relid='" + relid + "']\");"
                + " return tr ? tr.children[0].textContent + ' ' + tr.children[4].textContent"
                + " + ' ' + getComputedStyle(tr.children[0]).backgroundColor : ''"));
    }

    private long snapshots() {
        return ((Number) run("return window.vmbusSnapshots")).longValue();
    }

    private String apiHealth(int relid) throws Exception {
        var r = h.get("/api/channels/" + relid);
        return r.statusCode() == 200 ? new JsonObject(r.body()).getJsonObject("health").getString("state") : "absent";
    }

    /**
     * Waits until the API says {@code relid} is {@code state}, then until the row says so, and checks that the
     * page needed at most two live updates after the server's verdict.
     */
    private void seenWithinTwoUpdates(int relid, String state) throws Exception {
        wait.until(b -> {
            try {
                return state.equals(apiHealth(relid));
            } catch (Exception e) {
                return false;
            }
        });
        long at = snapshots();
        wait.until(b -> row(relid).startsWith(state.toUpperCase() + " "));
        long took = snapshots() - at;
        assertTrue(took <= 2, "relid " + relid + " showed " + state + " only after " + took + " updates");
    }

    private void reofferAndRecover(int relid) throws Exception {
        assertEquals(200, h.act("reoffer", new JsonObject().put("relid", relid)).statusCode());
        wait.until(b -> row(relid).startsWith("OK no problems"));
    }

    /** Every element inside a card or the channel table's box that is wider than its own box, as "tag.class: scroll > client". */
    @SuppressWarnings("unchecked")
    private List<String> overflowing() {
        return (List<String>) run("const bad = [];"
                + " for (const box of document.querySelectorAll('.card, .table-box')) {"
                + "   if (box.closest('[hidden]')) continue;"
                + "   for (const e of [box, ...box.querySelectorAll('*')]) {"
                + "     if (e.matches('input, select, textarea, option') || e.closest('svg')) continue;"
                + "     if (e.scrollWidth > e.clientWidth + 1) bad.push(e.tagName.toLowerCase() + '.' + e.className"
                + "       + (e.closest('[data-device]') ? ' in ' + e.closest('[data-device]').dataset.device : '')"
                + "       + ': ' + e.scrollWidth + ' > ' + e.clientWidth + ' \"' + e.textContent.slice(0, 40) + '\"');"
                + "   }"
                + " }"
                + " if (document.documentElement.scrollWidth > innerWidth) bad.push('the page: ' + document.documentElement.scrollWidth + ' > ' + innerWidth);"
                + " return bad;");
    }

    private double spark(int relid, String kind) {
        Object v = run("const s = document.querySelector(\"#channels tr[data-relid='" + relid + "'] svg.spark." + kind + "\");"
                + " return s && s.dataset.max ? Number(s.dataset.max) : -1");
        return ((Number) v).doubleValue();
    }

    private void screenshot(String name) throws Exception {
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        assertFalse(Files.size(target) < 10_000, "the screenshot " + target + " is suspiciously small");
    }

    /** The agent on sim with two extra heartbeat channels (relids 7 and 8) and, if nicQueues > 0, the synthetic NIC. */
    private void agent(int nicQueues) throws Exception {
        DashboardAgentConfig setup = new DashboardAgentConfig(tmp, 2, 200, UPDATE_MS,
                new VmbusConfig.Health(800, 1600, 80, 100, 30_000, 60_000, 60_000), nicQueues);
        agent = setup.start();
        h = DashboardClient.open(agent, setup.channelCount());
    }

    @Test
    void cardsFitAtBothWidthsLegendsShowValuesAndTrendsMove() throws Exception {
        agent(0);
        browser.get(h.base() + "/#token=" + h.dashboard().token());
        wait.until(b -> rows().size() == 8 && rows().stream().allMatch(r -> r.contains(" OK ") && r.contains(" open ")));
        wait.until(b -> "live".equals(b.findElement(By.id("status")).getText()));

        // Legends: every series' latest value with its unit, and its name, with no pointer anywhere near a chart
        wait.until(b -> (Boolean) run("const v = [...document.querySelectorAll('#charts .legend .value')];"
                + " return v.length === 9 && v.every(x => x.textContent !== '—')"));
        String legend = String.valueOf(run("return document.querySelector('#chart-packets .legend').textContent"));
        assertTrue(legend.matches("in \\(host → guest\\)[-0-9.]+ (k|M|G)?pkt/sout \\(guest → host\\)[-0-9.]+ (k|M|G)?pkt/slatest"), legend);
        assertTrue(String.valueOf(run("return document.querySelector('#chart-fill .legend').textContent"))
                .matches("inbound ring[0-9.]+ %outbound ring[0-9.]+ %latest"));
        wait.until(b -> String.valueOf(run("return document.querySelector('#chart-timesync-offsetMs .legend').textContent"))
                .matches("offset \\(host − guest\\)-?[0-9.]+ (µs|ms)latest"));

        // Trends: relid 8's row moves when its ring fills (the host stops reading it, then floods it)
        wait.until(b -> spark(8, "packets") >= 0 && spark(8, "fill") >= 0);
        double packetsBefore = spark(8, "packets");
        double fillBefore = spark(8, "fill");
        assertEquals(200, h.act("delay", new JsonObject().put("relid", 8).put("ms", 600_000)).statusCode());
        assertEquals(200, h.act("flood", new JsonObject().put("relid", 8).put("packets", 2000)).statusCode());
        wait.until(b -> spark(8, "fill") > fillBefore && spark(8, "packets") > packetsBefore);
        reofferAndRecover(8);

        // Cards: each device leads with its health, then what it did last, then settings, details on demand
        wait.until(b -> (Boolean) run("const c = [...document.querySelectorAll('#devices .card.device')];"
                + " return c.length === 6 && c.every(d => d.children[0].tagName === 'H3' && d.querySelector('h3 .badge')"
                + " && d.children[1].matches('ul.problems') && d.children[2].matches('p.last') && d.querySelector(':scope > details'))"));
        assertTrue(String.valueOf(run("return document.querySelector(\".device[data-device='heartbeat'] p.last\").textContent"))
                .matches("last: last heartbeat [0-9.]+ (ms|s) ago \\(relid \\d+.*"));
        assertTrue(String.valueOf(run("return document.querySelector(\".device[data-device='shutdown'] dl.settings\").textContent"))
                .contains("dryRuntrue"));
        run("document.querySelectorAll('#devices details > summary').forEach(s => s.click())");
        browser.findElement(By.cssSelector("#channels tbody tr[data-relid='2']")).click();
        wait.until(b -> b.findElement(By.id("detail-title")).getText().startsWith("Channel 2: timesync"));
        long opened = snapshots();
        wait.until(b -> snapshots() >= opened + 2);
        assertEquals(6L, run("return document.querySelectorAll('#devices details[open]').length"), "details stay open across updates");

        for (int width : new int[] {1400, 800}) {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(width, 2400));
            wait.until(b -> ((Number) run("return innerWidth")).intValue() == width);
            long at = snapshots();
            wait.until(b -> snapshots() >= at + 2);
            assertEquals(List.of(), overflowing(), "at " + width + " px");
            long columns = ((Number) run("return new Set([...document.querySelectorAll('#devices .card')]"
                    + ".map(c => Math.round(c.getBoundingClientRect().left))).size")).longValue();
            assertTrue(width == 800 ? columns == 1 : columns >= 2, columns + " columns of device cards at " + width + " px");
            js.executeScript("window.scrollTo(0, document.getElementById('devices').offsetTop - 40)");
            screenshot("dashboard-" + width + ".png");
        }
    }

    @Test
    void theDashboardSaysWhatIsWrongAndKeepsItsHistory() throws Exception {
        agent(0);
        browser.get(h.base() + "/#token=" + h.dashboard().token());
        wait.until(b -> rows().size() == 8 && rows().stream().allMatch(r -> r.contains(" OK ") && r.contains(" open ")));
        wait.until(b -> "live".equals(b.findElement(By.id("status")).getText()));
        wait.until(b -> "8 channels, all healthy".equals(b.findElement(By.id("summary")).getText()));
        assertEquals(Boolean.TRUE, run("return [...document.scripts].every(s => s.src)"), "no inline script");

        // A fault: critical, in words and colour, first under the default health sort; then healed by a re-offer
        assertEquals(200, h.act("inject-fault", new JsonObject().put("relid", 5)).statusCode());
        seenWithinTwoUpdates(5, "critical");
        String faulted = row(5);
        assertTrue(faulted.startsWith("CRITICAL vss faulted: ") && faulted.endsWith("rgb(254, 226, 226)"), faulted);
        wait.until(b -> b.findElement(By.id("summary")).getText().startsWith("8 channels, 1 needs attention: vss faulted: "));
        wait.until(b -> rows().getFirst().startsWith("5 CRITICAL"));
        reofferAndRecover(5);

        // A stopped heartbeat: late, then lost; the other extra heartbeat channel stays ok
        assertEquals(200, h.act("stop-heartbeat", new JsonObject().put("relid", 7)).statusCode());
        seenWithinTwoUpdates(7, "critical");
        assertTrue(row(7).startsWith("CRITICAL heartbeat #7 lost: no heartbeat for "), row(7));
        assertTrue(row(8).startsWith("OK "), row(8));
        reofferAndRecover(7);

        // A ring filled while the host does not read
        assertEquals(200, h.act("delay", new JsonObject().put("relid", 8).put("ms", 600_000)).statusCode());
        assertEquals(200, h.act("flood", new JsonObject().put("relid", 8).put("packets", 2000)).statusCode());
        seenWithinTwoUpdates(8, "warning");
        assertTrue(row(8).matches("WARNING heartbeat #8 (inbound|outbound) ring \\d+ % full rgb\\(254, 243, 199\\)"), row(8));
        reofferAndRecover(8);

        // Sorting and filtering
        browser.findElement(By.cssSelector("#channels th[data-key='relid']")).click();
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8"), rows().stream().map(r -> r.split(" ")[0]).toList());
        browser.findElement(By.cssSelector("#channels th[data-key='relid']")).click();
        assertEquals(List.of("8", "7", "6", "5", "4", "3", "2", "1"), rows().stream().map(r -> r.split(" ")[0]).toList());
        browser.findElement(By.cssSelector("#channels th[data-key='class']")).click();
        assertEquals(List.of("fcopy", "heartbeat", "heartbeat", "heartbeat", "kvp", "shutdown", "timesync", "vss"),
                rows().stream().map(r -> r.split(" ")[2]).toList());
        browser.findElement(By.id("filter")).sendKeys("heartbeat");
        assertEquals(List.of("1", "7", "8"), rows().stream().map(r -> r.split(" ")[0]).sorted().toList());
        assertEquals("showing 3 of 8", browser.findElement(By.id("shown")).getText());
        browser.findElement(By.id("filter")).clear();
        run("document.getElementById('filter').dispatchEvent(new Event('input'))");
        wait.until(b -> rows().size() == 8);

        // Drill-down: the ring header fields the API reports (shutdown is quiet after negotiation), in hex too
        browser.findElement(By.cssSelector("#channels tbody tr[data-relid='3']")).click();
        wait.until(b -> b.findElement(By.id("detail-title")).getText().startsWith("Channel 3: shutdown"));
        JsonObject stats = new JsonObject(h.get("/api/channels/3").body()).getJsonObject("stats");
        for (String ring : new String[] {"inbound", "outbound"}) {
            for (String field : new String[] {"writeIndex", "readIndex", "dataSize"}) {
                long v = stats.getJsonObject(ring).getLong(field);
                String cell = "#detail-rings tr[data-field='" + field + "'] td.";
                // read in one script: the drill-down is redrawn on every update
                wait.until(b -> (v + " " + String.format("0x%08x", v)).equals(run("return document.querySelector(arguments[0])"
                        + ".textContent + ' ' + document.querySelector(arguments[1]).textContent", cell + ring, cell + ring + "-hex")));
            }
        }
        wait.until(b -> !"—".equals(run("return document.querySelector(\"#detail-counters tr[data-counter='packetsIn'] td:last-child\").textContent")));
        wait.until(b -> String.valueOf(run("return document.getElementById('detail-identity').textContent")).contains("service version3."));
        wait.until(b -> String.valueOf(run("return document.getElementById('detail-events').textContent")).contains("opened relid 3"));
        long before = snapshots();
        wait.until(b -> snapshots() >= before + 2);
        assertEquals(Boolean.TRUE, run("return document.querySelector(\"#channels tbody tr[data-relid='3']\").classList.contains('selected')"),
                "the selection survives updates");

        // A hostile KVP value through the host panel, shown as text
        new Select(browser.findElement(By.id("host-action"))).selectByVisibleText("kvp-set");
        browser.findElement(By.name("pool")).sendKeys("0");
        browser.findElement(By.name("key")).sendKeys("Hostile");
        browser.findElement(By.name("value")).sendKeys(HOSTILE);
        browser.findElement(By.cssSelector("#host-form button")).click();
        wait.until(b -> b.findElement(By.id("host-result")).getText().contains("set Hostile in pool 0"));
        wait.until(b -> b.findElement(By.id("events")).getText().contains("host action kvp-set"));
        String card = "document.querySelector(\".device[data-device='kvp']\")";
        wait.until(b -> (Boolean) run("const c = " + card + "; return !!c && c.textContent.includes(arguments[0])", HOSTILE));
        assertEquals(Boolean.TRUE, run("const c = " + card + "; return c.innerHTML.includes("
                + "'&lt;script&gt;window.pwned=1&lt;/script&gt;') && !c.querySelector('script, img')"),
                "the value was parsed as HTML instead of shown as text");
        assertEquals(null, run("return window.pwned === undefined ? null : window.pwned"));

        // Charts: in and out apart, the offset axis in µs with its digits, and history across a reload
        wait.until(b -> ((Number) run("return window.vmbusCharts.packets.points()")).intValue() >= 10);
        assertEquals("in (host → guest),out (guest → host)", run("return window.vmbusCharts.packets.def.series.map(s => s[1]).join()"));
        assertEquals("8.1 µs,8.2 µs", run("return VmbusCharts.offsetValues(null, [0.0081, 0.0082]).join()"));
        assertEquals("1.25 ms,1.50 ms", run("return VmbusCharts.offsetValues(null, [1.25, 1.5]).join()"));
        assertEquals("-0.20 µs,4000.012 ms", run("return [VmbusCharts.offsetText(-0.0002), VmbusCharts.offsetText(4000.0123)].join()"));
        js.executeScript("window.scrollTo(0, 0)");
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", "dashboard.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        assertFalse(Files.size(target) < 10_000, "the screenshot is suspiciously small");

        long points = ((Number) run("return window.vmbusCharts.packets.points()")).longValue();
        double first = ((Number) run("return window.vmbusCharts.packets.data[0][0]")).doubleValue();
        browser.navigate().refresh();
        wait.until(b -> (Boolean) run("return !!window.vmbusCharts && window.vmbusCharts.packets.points() > 0"));
        long after = ((Number) run("return window.vmbusCharts.packets.points()")).longValue();
        assertTrue(after >= points, "after the reload the chart has " + after + " points, before it had " + points);
        assertTrue(((Number) run("return window.vmbusCharts.packets.data[0][0]")).doubleValue() <= first,
                "the reloaded chart starts where the old one did");
        wait.until(b -> (Boolean) run("return window.vmbusCharts['timesync.offsetMs'].points() > 0"));

        // The device charts are what the server declares (DevicePlugin.series through /api/history), nothing else:
        // one per declared series, titled and labelled as declared, and each one's points are the device's
        JsonArray declared = new JsonObject(h.get("/api/history").body()).getJsonArray("series");
        assertEquals(new JsonArray().add(new JsonObject().put("device", "timesync").put("name", "offsetMs")
                .put("title", "offset (host − guest)").put("unit", "ms")), declared);
        assertEquals(declared, new JsonArray(String.valueOf(run("return JSON.stringify(Object.values(window.vmbusCharts)"
                + ".filter(c => c.def.device).map(c => ({device: c.def.device, name: c.def.series[0][0],"
                + " title: c.def.series[0][1], unit: c.def.unit})))"))));
        assertEquals("timesync offset (host − guest) (ms)",
                run("return document.querySelector('#chart-timesync-offsetMs .u-title').textContent"));
        assertEquals(List.of("bytes", "fill", "packets", "signals", "timesync.offsetMs"),
                run("return Object.keys(window.vmbusCharts).sort()"));
    }

    private static final String NIC = "document.querySelector(\".device[data-device='netvsc'] .nic[data-nic='vmbus0']\")";

    /** Two queues with frames and bytes per second in, and queue 0 with frames per second out. */
    private static boolean everyQueueMoves(String rates) {
        String[] q = rates.split(" \\| ");
        String positive = "[1-9][0-9.]* (k|M|G)?";
        return q.length == 2 && q[0].matches(positive + "fr/s / " + positive + "B/s / " + positive + "fr/s")
                && q[1].matches(positive + "fr/s / " + positive + "B/s / .*");
    }

    /**
     * Fails at once if a NIC channel ended: with its reason, and the guest's and the host's NIC state (the host
     * says what it found wrong when it ended the channel).
     */
    private void nicChannelsOpen(java.util.Queue<dev.vmbus.bus.ChannelEvent> ended) throws Exception {
        dev.vmbus.bus.ChannelEvent e = ended.peek();
        if (e == null) {
            return;
        }
        Object guest = agent.vertx().eventBus().request("vmbus.device.netvsc.state", null)
                .await(10, java.util.concurrent.TimeUnit.SECONDS).body();
        Object host = new dev.vmbus.host.SimulatedHostControl(AgentInternals.agent(agent).simulatedHost().orElseThrow())
                .state().await(10, java.util.concurrent.TimeUnit.SECONDS).getJsonArray("devices").stream()
                .filter(d -> "nic".equals(((JsonObject) d).getString("device"))).findFirst().orElse(null);
        throw new AssertionError("the NIC's channel " + e.relid() + " ended during the test: " + e.reason().text()
                + "; guest NIC: " + guest + "; host NIC: " + host);
    }

    @Test
    void theNicPanelShowsLinkAddressMtuQueuesAndPerQueueRates() throws Exception {
        agent(2);
        var bus = agent.vertx().eventBus();
        // a NIC channel that ends (a guest or host NIC fault) fails the test at once, with the reason
        java.util.Queue<dev.vmbus.bus.ChannelEvent> ended = new java.util.concurrent.ConcurrentLinkedQueue<>();
        bus.<dev.vmbus.bus.ChannelEvent>localConsumer(dev.vmbus.bus.Addresses.CHANNELS, m -> {
            if (m.body().ended() && "netvsc".equals(m.body().className())) {
                ended.add(m.body());
            }
        }).completion().await(10, java.util.concurrent.TimeUnit.SECONDS);
        List<JsonObject> nicChannels = new io.vertx.core.json.JsonArray(h.get("/api/channels").body()).stream()
                .map(JsonObject.class::cast).filter(c -> "netvsc".equals(c.getString("class"))).toList();
        assertEquals(2, nicChannels.size(), "the NIC's channels: " + nicChannels);
        for (JsonObject c : nicChannels) {
            assertEquals("open", c.getString("state"), "a NIC channel before the NIC's traffic: " + c.encode());
        }
        bus.<io.vertx.core.buffer.Buffer>consumer("vmbus.netvsc.vmbus0.rx", m -> { }).completion()
                .await(10, java.util.concurrent.TimeUnit.SECONDS);
        browser.get(h.base() + "/#token=" + h.dashboard().token());
        wait.until(b -> {
            try {
                nicChannelsOpen(ended);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return (Boolean) run("const n = " + NIC + "; return !!n && n.querySelectorAll('tr[data-queue]').length === 2");
        });
        assertEquals("up 00:15:5d:56:4d:01 1500 B directed, all-multicast, broadcast 2", run("const n = " + NIC
                + "; return ['link', 'mac', 'mtu', 'receiveMode', 'queues']"
                + ".map(f => n.querySelector(`dd[data-field='${f}']`).textContent).join(' ')"));
        assertTrue(String.valueOf(run("return " + NIC + ".querySelector(\"dd[data-field='sendSections']\").textContent"))
                .matches("\\d+ of \\d+ \\(\\d+ B each\\).*"));
        assertTrue(String.valueOf(run("return " + NIC + ".querySelector(\"dd[data-field='receiveSlots']\").textContent"))
                .matches("\\d+ of \\d+ \\(\\d+ B each\\)"));
        assertEquals("drops: none", run("return " + NIC + ".querySelector('p.drops').textContent"));
        assertEquals("host events: none", run("return " + NIC + ".querySelector('p.host-events').textContent"));

        // Traffic: 24 flows every 50 ms (at most 30 s) until every queue shows frames and bytes coming in from the
        // host, and queue 0 frames going out (all sends go out on the primary)
        // a frame whose netvsc state did not come in time (a loaded machine) shows the card without its panel:
        // read that as nothing seen yet, and keep waiting; a NIC channel that ended fails at once
        String rates = "const n = " + NIC + "; return !n ? '' : [...n.querySelectorAll('tr[data-queue]')].map(tr =>"
                + " ['frames-in', 'bytes-in', 'frames-out'].map(c => tr.querySelector('td.' + c).textContent).join(' / ')).join(' | ')";
        long deadline = System.nanoTime() + 30_000_000_000L;
        String seen = "";
        for (int round = 0; round < 600 && System.nanoTime() < deadline && !everyQueueMoves(seen); round++) {
            for (int flow = 0; flow < 24; flow++) {
                bus.send("vmbus.netvsc.vmbus0.tx", io.vertx.core.buffer.Buffer.buffer(NicTrafficStressTest.udp6(flow)));
            }
            Thread.sleep(50); // pacing: the traffic generator's 24 flows every 50 ms, read back after each burst
            nicChannelsOpen(ended);
            seen = String.valueOf(run(rates));
        }
        assertTrue(everyQueueMoves(seen), "per-queue rates (frames in / bytes in / frames out): " + seen);
        nicChannelsOpen(ended);
        // the host moves the VM, then the NIC to another network: the panel says what it told the NIC
        String events = "const n = " + NIC + "; return n ? n.querySelector('p.host-events').textContent : ''";
        assertEquals(200, h.act("nic-migrated", new JsonObject()).statusCode());
        wait.until(b -> "host events: MAC announced after a migration 1".equals(run(events)));
        assertEquals(200, h.act("nic-network-change", new JsonObject()).statusCode());
        wait.until(b -> "host events: network changes 1, MAC announced after a migration 1".equals(run(events)));
        nicChannelsOpen(ended);
        assertEquals(List.of(), overflowing(), "the NIC's card fits");
        js.executeScript("window.scrollTo(0, document.getElementById('devices').offsetTop - 40)");
        screenshot("dashboard-nic.png");
    }
}
