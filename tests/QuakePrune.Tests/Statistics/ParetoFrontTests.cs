using QuakePrune.Statistics;

namespace QuakePrune.Tests.Statistics;

public class ParetoFrontTests
{
    [Fact]
    public void The_front_keeps_each_point_no_other_is_both_cheaper_and_better_ordered_by_cost()
    {
        (double?, double?)[] points =
        [
            (20, 0.9),
            (10, 0.8),
            (15, 0.95),
            (12, 0.7),
            (30, 0.95),
            (null, 0.99),
            (5, null),
            (10, 0.8),
        ];
        // (12, 0.7) is beaten by (10, 0.8); (20, 0.9) by (15, 0.95); (30, 0.95) by (15, 0.95); the repeat of (10, 0.8)
        // adds nothing.
        Assert.Equal([1, 2], ParetoFront.Of(points));
        Assert.Empty(ParetoFront.Of([]));
    }
}
