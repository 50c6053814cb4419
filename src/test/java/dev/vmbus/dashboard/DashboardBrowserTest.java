package dev.vmbus.dashboard;

import dev.vmbus.bus.DeviceRegistry;
import dev.vmbus.bus.VmbusVerticle;
import dev.vmbus.config.ConfigLoader;
import dev.vmbus.config.VmbusConfig;
import dev.vmbus.host.SimulatedHost;
import dev.vmbus.host.SimulatedHostControl;
import dev.vmbus.transport.sim.SimBus;
import io.vertx.core.Vertx;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in real headless Chromium (Debian's chromium and chromedriver): every channel of the simulated
 * host, a counter that advances, charts with points, a hostile KVP value shown as text, and a host-panel action
 * that shows up on the page. The screenshot is saved as target/dashboard.png.
 */
class DashboardBrowserTest {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String HOSTILE = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";

    @TempDir
    Path tmp;
    private Vertx vertx;
    private DashboardServer dashboard;
    private ChromeDriver browser;

    @BeforeEach
    void start() throws Exception {
        assertTrue(new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute(),
                "the browser test needs Debian's chromium and chromium-driver (scripts/test.sh installs them)");
        VmbusConfig config = ConfigLoader.parse("""
                { "devices": { "kvp": { "poolDir": "%s" }, "fcopy": { "allowedRoots": ["%s"] } },
                  "host": { "heartbeatIntervalMs": 200 } }""".formatted(tmp.resolve("kvp"), tmp.resolve("fcopy")), "test");
        vertx = Vertx.vertx();
        SimBus bus = new SimBus(vertx);
        SimulatedHost host = new SimulatedHost(vertx, bus.host(), config.host());
        host.start().await(10, TimeUnit.SECONDS);
        DeviceRegistry registry = DeviceRegistry.load(config.deviceSections(), "sim");
        vertx.deployVerticle(new VmbusVerticle(bus.guest(), registry, 500)).await(10, TimeUnit.SECONDS);
        dashboard = new DashboardServer(new DashboardOptions("127.0.0.1", 0, null, 500,
                List.copyOf(registry.enabled().keySet())), new SimulatedHostControl(host));
        vertx.deployVerticle(dashboard).await(10, TimeUnit.SECONDS);

        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM).addArguments("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1600,1800", "--user-data-dir=" + tmp.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDashboardShowsTheHostLiveAndEscapesWhatTheGuestAndHostSay() throws Exception {
        browser.get("http://127.0.0.1:" + dashboard.port() + "/#token=" + dashboard.token());
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));

        // Every channel of the simulated host, open. (The table is rebuilt on every snapshot, so read it in one go.)
        JavascriptExecutor js = browser;
        String expected = "1 heartbeat open,2 timesync open,3 shutdown open,4 kvp open,5 vss open,6 fcopy open";
        wait.until(b -> expected.equals(js.executeScript("return [...document.querySelectorAll('#channels tbody tr')]"
                + ".map(tr => tr.children[0].textContent + ' ' + tr.children[2].textContent + ' '"
                + " + tr.children[5].textContent).join()")));
        assertEquals("live", wait.until(b -> b.findElement(By.id("status")).getText().equals("live") ? "live" : null));

        // A counter visibly advances: the heartbeat channel's packets in/out, every 200 ms.
        String before = packets(1);
        wait.until(b -> !packets(1).equals(before));

        // The charts have points.
        wait.until(b -> ((Number) js.executeScript(
                "return window.vmbusCharts.length ? window.vmbusCharts[0].data[0].length : 0")).intValue() >= 3);
        wait.until(b -> Long.valueOf(6).equals(js.executeScript("return window.vmbusCharts.length")));
        wait.until(b -> ((Number) js.executeScript("const o = document.getElementById('chart-offset');"
                + " return o ? window.vmbusCharts[5].data[1].length : 0")).intValue() >= 1);

        // A host-panel action: set a KVP value that tries to run script.
        new Select(browser.findElement(By.id("host-action"))).selectByVisibleText("kvp-set");
        browser.findElement(By.name("pool")).sendKeys("0");
        browser.findElement(By.name("key")).sendKeys("Hostile");
        browser.findElement(By.name("value")).sendKeys(HOSTILE);
        browser.findElement(By.cssSelector("#host-form button")).click();
        wait.until(b -> b.findElement(By.id("host-result")).getText().contains("set Hostile in pool 0"));

        // It appears on the page: in the event log and, as text, in the KVP panel.
        wait.until(b -> b.findElement(By.id("events")).getText().contains("host action kvp-set"));
        String card = "document.querySelector(\".device[data-device='kvp']\")";
        wait.until(b -> (Boolean) js.executeScript("const c = " + card + "; return !!c && c.textContent.includes(arguments[0])",
                HOSTILE));
        assertEquals(Boolean.TRUE, js.executeScript("const c = " + card + "; return c.innerHTML.includes("
                + "'&lt;script&gt;window.pwned=1&lt;/script&gt;') && !c.querySelector('script, img')"),
                "the value was parsed as HTML instead of shown as text");
        assertEquals(null, js.executeScript("return window.pwned === undefined ? null : window.pwned"));

        js.executeScript("window.scrollTo(0, 0)");
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", "dashboard.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        assertFalse(Files.size(target) < 10_000, "the screenshot is suspiciously small");
    }

    private String packets(int relid) {
        return String.valueOf(((JavascriptExecutor) browser).executeScript(
                "const td = document.querySelector(\"#channels tbody tr[data-relid='" + relid + "'] td.packets\");"
                        + " return td ? td.textContent : ''"));
    }
}
