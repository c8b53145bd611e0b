using Aitbc.Coordinator.Admin;

namespace Aitbc.Coordinator.Tests.Admin;

public sealed class AdminStatisticsTests
{
    [Fact]
    public void PercentilesAreNearestRankOverTheSamples()
    {
        var shuffled = Enumerable.Range(1, 100).Select(i => (double)i).OrderBy(_ => Random.Shared.Next()).ToArray();

        var percentiles = AdminStatistics.Percentiles(shuffled);

        Assert.Equal(50, percentiles.P50);
        Assert.Equal(95, percentiles.P95);
        Assert.Equal(100, percentiles.Samples);
    }

    [Fact]
    public void OneSampleIsEveryPercentileAndNoneIsNull()
    {
        Assert.Equal(new Percentiles(1.5, 1.5, 1), AdminStatistics.Percentiles([1.5]));
        Assert.Equal(new Percentiles(null, null, 0), AdminStatistics.Percentiles([]));
    }
}
