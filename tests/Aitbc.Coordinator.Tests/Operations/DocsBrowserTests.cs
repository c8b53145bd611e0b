using Aitbc.Coordinator.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Aitbc.Coordinator.Tests.Operations;

/// <summary>
/// The documentation pages in a real headless Chromium (Debian's, installed by scripts/test-prerequisites.sh): their
/// scripts must load from the Coordinator itself and render the API's operations.
/// </summary>
public sealed class DocsBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    // No sandbox (tests may run as root in a container), no GPU, and nothing that calls home.
    private static readonly string[] LaunchFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    /// <summary>Kept after the test (not in its deleted folder), so a failure can be looked at.</summary>
    private static readonly string Screenshots = Path.Combine(Path.GetTempPath(), "aitbc-tests", "screenshots");

    [Fact]
    public async Task SwaggerUiAndRedocRenderTheApiOperations()
    {
        Assert.True(File.Exists(Chromium), "chromium is not installed: run scripts/test-prerequisites.sh.");
        await using var coordinator = await TestCoordinator.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = LaunchFlags,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 1600 },
        });
        page.SetDefaultTimeout(30_000);
        Directory.CreateDirectory(Screenshots);

        await page.GotoAsync(new Uri(coordinator.BaseAddress, "/docs").ToString(),
            new PageGotoOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        var submit = page.Locator(".opblock-summary-path", new PageLocatorOptions { HasText = "/v1/client/jobs" });
        try
        {
            await submit.First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        }
        finally
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "docs.png") });
        }

        var paths = await page.Locator(".opblock-summary-path").AllInnerTextsAsync();

        Assert.Contains(paths, p => p.Contains("/v1/miner/jobs", StringComparison.Ordinal));
        Assert.Contains(paths, p => p.Contains("/v1/admin/stats", StringComparison.Ordinal));
        Assert.Contains("AITBC Coordinator API", await page.TitleAsync(), StringComparison.Ordinal);

        await page.GotoAsync(new Uri(coordinator.BaseAddress, "/redoc").ToString(),
            new PageGotoOptions { WaitUntil = WaitUntilState.DOMContentLoaded });
        // ReDoc lists each tag's operations as method and path.
        var operation = page.GetByText("/v1/client/jobs/{jobId}/status", new PageGetByTextOptions { Exact = true });
        try
        {
            await operation.First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        }
        finally
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "redoc.png") });
        }

        var text = await page.Locator("body").InnerTextAsync();

        Assert.Contains("/v1/miner/result", text, StringComparison.Ordinal);
        Assert.Contains("/v1/admin/stats", text, StringComparison.Ordinal);
        Assert.Contains("AITBC Coordinator API", text, StringComparison.Ordinal);
    }
}
