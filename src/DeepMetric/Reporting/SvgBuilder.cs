using System.Globalization;
using System.Text;

namespace DeepMetric.Reporting;

/// <summary>Writes SVG markup with escaped text and invariant, rounded numbers, so output is byte-for-byte reproducible.</summary>
internal sealed class SvgBuilder
{
    private readonly StringBuilder _sb = new();

    public SvgBuilder Begin(int width, int height)
    {
        _sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(width.ToString(CultureInfo.InvariantCulture))
            .Append("\" height=\"").Append(height.ToString(CultureInfo.InvariantCulture))
            .Append("\" viewBox=\"0 0 ").Append(width.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(height.ToString(CultureInfo.InvariantCulture))
            .Append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        _sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        return this;
    }

    public SvgBuilder Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    public SvgBuilder Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? cssClass = null, string? dash = null)
    {
        _sb.Append("<line");
        Class(cssClass);
        Attr("x1", x1).Attr("y1", y1).Attr("x2", x2).Attr("y2", y2);
        _sb.Append(" stroke=\"").Append(stroke).Append('"');
        Attr("stroke-width", width);
        if (dash is not null)
        {
            _sb.Append(" stroke-dasharray=\"").Append(dash).Append('"');
        }
        _sb.Append("/>\n");
        return this;
    }

    public SvgBuilder Rect(double x, double y, double w, double h, string fill, string? cssClass = null, double opacity = 1, string? stroke = null, string? title = null)
    {
        _sb.Append("<rect");
        Class(cssClass);
        Attr("x", x).Attr("y", y).Attr("width", Math.Max(0, w)).Attr("height", Math.Max(0, h));
        _sb.Append(" fill=\"").Append(fill).Append('"');
        if (opacity < 1)
        {
            Attr("fill-opacity", opacity);
        }
        if (stroke is not null)
        {
            _sb.Append(" stroke=\"").Append(stroke).Append('"');
        }
        return CloseWithTitle("rect", title);
    }

    public SvgBuilder Circle(double cx, double cy, double r, string fill, string? cssClass = null, double opacity = 1, string? title = null)
    {
        _sb.Append("<circle");
        Class(cssClass);
        Attr("cx", cx).Attr("cy", cy).Attr("r", r);
        _sb.Append(" fill=\"").Append(fill).Append('"');
        if (opacity < 1)
        {
            Attr("fill-opacity", opacity);
        }
        return CloseWithTitle("circle", title);
    }

    /// <summary>A polyline path; points that are NaN break the line into separate pieces.</summary>
    public SvgBuilder Path(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys, string stroke, double width, string? cssClass, string? seriesName, double opacity = 1)
    {
        _sb.Append("<path");
        Class(cssClass);
        if (seriesName is not null)
        {
            _sb.Append(" data-series=\"").Append(Escape(seriesName)).Append('"');
        }
        _sb.Append(" fill=\"none\" stroke=\"").Append(stroke).Append('"');
        Attr("stroke-width", width);
        if (opacity < 1)
        {
            Attr("stroke-opacity", opacity);
        }
        _sb.Append(" stroke-linejoin=\"round\" d=\"");
        bool pen = false;
        for (int i = 0; i < xs.Length; i++)
        {
            if (double.IsNaN(xs[i]) || double.IsNaN(ys[i]))
            {
                pen = false;
                continue;
            }
            _sb.Append(pen ? 'L' : 'M').Append(TickFormat.Coord(xs[i])).Append(',').Append(TickFormat.Coord(ys[i]));
            pen = true;
        }
        _sb.Append("\"/>\n");
        return this;
    }

    /// <summary>
    /// Text; <paramref name="anchor"/> is start, middle or end; <paramref name="rotate"/> in degrees about the anchor point.
    /// <paramref name="halo"/> draws a white outline under the glyphs so labels placed over data stay readable.
    /// </summary>
    public SvgBuilder Text(double x, double y, string text, string anchor = "start", string? cssClass = null, double rotate = 0, int? fontSize = null, string? fill = null, bool halo = false)
    {
        _sb.Append("<text");
        Class(cssClass);
        Attr("x", x).Attr("y", y);
        _sb.Append(" text-anchor=\"").Append(anchor).Append('"');
        if (rotate != 0)
        {
            _sb.Append(" transform=\"rotate(").Append(TickFormat.Coord(rotate)).Append(' ').Append(TickFormat.Coord(x))
                .Append(' ').Append(TickFormat.Coord(y)).Append(")\"");
        }
        if (fontSize is int size)
        {
            _sb.Append(" font-size=\"").Append(size.ToString(CultureInfo.InvariantCulture)).Append('"');
        }
        if (fill is not null)
        {
            _sb.Append(" fill=\"").Append(fill).Append('"');
        }
        if (halo)
        {
            _sb.Append(" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"");
        }
        _sb.Append('>').Append(Escape(text)).Append("</text>\n");
        return this;
    }

    public string End()
    {
        _sb.Append("</svg>\n");
        return _sb.ToString();
    }

    /// <summary>Escapes the five XML special characters and drops control characters XML 1.0 forbids.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                default:
                    if (c >= ' ' || c == '\t' || c == '\n' || c == '\r')
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.ToString();
    }

    private void Class(string? cssClass)
    {
        if (cssClass is not null)
        {
            _sb.Append(" class=\"").Append(cssClass).Append('"');
        }
    }

    private SvgBuilder Attr(string name, double value)
    {
        _sb.Append(' ').Append(name).Append("=\"").Append(TickFormat.Coord(value)).Append('"');
        return this;
    }

    private SvgBuilder CloseWithTitle(string element, string? title)
    {
        if (title is null)
        {
            _sb.Append("/>\n");
        }
        else
        {
            _sb.Append("><title>").Append(Escape(title)).Append("</title></").Append(element).Append(">\n");
        }
        return this;
    }
}
