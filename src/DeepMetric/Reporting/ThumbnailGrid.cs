using DeepMetric.Imaging;

namespace DeepMetric.Reporting;

/// <summary>
/// Composes nearest-neighbour examples into one RGB image: per row the query (blue frame), a gap, then
/// its top-k neighbours framed green when they share the query's class and red otherwise.
/// </summary>
public static partial class ThumbnailGrid
{
    /// <summary>Frame colour of the query.</summary>
    public static readonly (byte R, byte G, byte B) QueryColor = (47, 111, 214);

    /// <summary>Frame colour of a correct neighbour.</summary>
    public static readonly (byte R, byte G, byte B) CorrectColor = (43, 154, 62);

    /// <summary>Frame colour of a wrong neighbour.</summary>
    public static readonly (byte R, byte G, byte B) WrongColor = (224, 49, 49);

    /// <summary>Builds the grid. Every cell is as large as the largest image times <paramref name="scale"/> (nearest-neighbour upscaling), plus the frame.</summary>
    /// <param name="rows">The examples, one grid row each.</param>
    /// <param name="scale">Integer upscaling factor (≥ 1).</param>
    /// <param name="border">Frame width in pixels (≥ 1).</param>
    /// <param name="gap">White space between cells in pixels (≥ 0); twice that separates the query from its neighbours.</param>
    /// <exception cref="ArgumentException">No rows, or a row whose <see cref="ThumbnailRow.Correct"/> does not match its neighbours.</exception>
    public static RasterImage Build(IReadOnlyList<ThumbnailRow> rows, int scale = 2, int border = 2, int gap = 4)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(border, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(gap);
        if (rows.Count == 0)
        {
            throw new ArgumentException("A thumbnail grid needs at least one row.", nameof(rows));
        }
        int maxW = 1, maxH = 1, maxK = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            ThumbnailRow row = rows[r] ?? throw new ArgumentException($"Row {r} is null.", nameof(rows));
            ArgumentNullException.ThrowIfNull(row.Query);
            if (row.Neighbours.Count != row.Correct.Count)
            {
                throw new ArgumentException($"Row {r} has {row.Neighbours.Count} neighbours but {row.Correct.Count} correctness flags.", nameof(rows));
            }
            maxK = Math.Max(maxK, row.Neighbours.Count);
            maxW = Math.Max(maxW, row.Query.Width);
            maxH = Math.Max(maxH, row.Query.Height);
            foreach (RasterImage n in row.Neighbours)
            {
                maxW = Math.Max(maxW, n.Width);
                maxH = Math.Max(maxH, n.Height);
            }
        }
        int cellW = (maxW * scale) + (2 * border);
        int cellH = (maxH * scale) + (2 * border);
        int width = gap + cellW + (2 * gap) + (maxK * (cellW + gap));
        int height = gap + (rows.Count * (cellH + gap));
        var grid = new RasterImage(width, height, 3);
        grid.Pixels.Fill(255);
        for (int r = 0; r < rows.Count; r++)
        {
            int top = gap + (r * (cellH + gap));
            ThumbnailRow row = rows[r];
            DrawCell(grid, row.Query, gap, top, cellW, cellH, scale, border, QueryColor);
            for (int k = 0; k < row.Neighbours.Count; k++)
            {
                int left = gap + cellW + (2 * gap) + (k * (cellW + gap));
                DrawCell(grid, row.Neighbours[k], left, top, cellW, cellH, scale, border, row.Correct[k] ? CorrectColor : WrongColor);
            }
        }
        return grid;
    }

    private static void DrawCell(RasterImage grid, RasterImage image, int left, int top, int cellW, int cellH, int scale, int border, (byte R, byte G, byte B) frame)
    {
        for (int y = 0; y < cellH; y++)
        {
            for (int x = 0; x < cellW; x++)
            {
                bool isFrame = x < border || y < border || x >= cellW - border || y >= cellH - border;
                if (isFrame)
                {
                    grid.SetRgb(left + x, top + y, frame.R, frame.G, frame.B);
                }
            }
        }
        // Centre the (possibly smaller) image inside the frame.
        int offX = left + border + ((cellW - (2 * border) - (image.Width * scale)) / 2);
        int offY = top + border + ((cellH - (2 * border) - (image.Height * scale)) / 2);
        for (int y = 0; y < image.Height * scale; y++)
        {
            for (int x = 0; x < image.Width * scale; x++)
            {
                (byte r, byte g, byte b) = image.GetRgb(x / scale, y / scale);
                grid.SetRgb(offX + x, offY + y, r, g, b);
            }
        }
    }
}
