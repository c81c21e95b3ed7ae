namespace DeepMetric.Analysis;

/// <summary>
/// Point-region quadtree over 2-D map points for the Barnes–Hut approximation of the t-SNE repulsive forces
/// (van der Maaten, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 2014, §4.2). Each leaf holds one point,
/// or several when they coincide (or the depth limit is reached); every node keeps its point count and centre of
/// mass. Nodes live in one flat array that is reused by every <see cref="Build"/>, so rebuilding each iteration
/// does not allocate once the array has grown.
/// </summary>
internal sealed class QuadTree
{
    // Below this depth cells are ~2⁻⁴⁸ of the root; points that still share a cell are treated as one body.
    private const int MaxDepth = 48;

    private Node[] _nodes = new Node[64];
    private int _count;
    private int[] _leafOf = [];
    private int[] _next = [];

    /// <summary>Number of nodes of the last built tree (the root is node 0).</summary>
    public int NodeCount => _count;

    /// <summary>Points in the subtree of <paramref name="node"/>.</summary>
    public int CountOf(int node) => _nodes[node].Count;

    /// <summary>Centre of mass of the subtree of <paramref name="node"/>.</summary>
    public (double X, double Y) CentreOfMass(int node) => (_nodes[node].ComX, _nodes[node].ComY);

    /// <summary>Index of the first of the four children of <paramref name="node"/> (quadrant order: x bit, then y bit), or −1 for a leaf.</summary>
    public int FirstChild(int node) => _nodes[node].FirstChild;

    /// <summary>Cell centre and half side of <paramref name="node"/>.</summary>
    public (double X, double Y, double HalfWidth) Cell(int node) => (_nodes[node].CentreX, _nodes[node].CentreY, _nodes[node].HalfWidth);

    /// <summary>Leaf that holds point <paramref name="i"/>.</summary>
    public int LeafOf(int i) => _leafOf[i];

    /// <summary>Builds the tree over <paramref name="n"/> points stored interleaved (x₀, y₀, x₁, y₁, …) in <paramref name="y"/>.</summary>
    public void Build(ReadOnlySpan<double> y, int n)
    {
        if (_leafOf.Length < n)
        {
            _leafOf = new int[n];
            _next = new int[n];
        }
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity;
        double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            minX = Math.Min(minX, y[2 * i]);
            maxX = Math.Max(maxX, y[2 * i]);
            minY = Math.Min(minY, y[(2 * i) + 1]);
            maxY = Math.Max(maxY, y[(2 * i) + 1]);
        }
        // A little slack so the maximum lies strictly inside the root cell.
        double half = (Math.Max(maxX - minX, maxY - minY) / 2 * (1 + 1e-6)) + 1e-12;
        _count = 0;
        NewNode((minX + maxX) / 2, (minY + maxY) / 2, half);
        for (int i = 0; i < n; i++)
        {
            Insert(y, i);
        }
        for (int k = 0; k < _count; k++)
        {
            ref Node node = ref _nodes[k];
            if (node.Count > 0)
            {
                node.ComX /= node.Count;
                node.ComY /= node.Count;
            }
        }
    }

    /// <summary>
    /// Barnes–Hut sum for point <paramref name="i"/> at (<paramref name="x"/>, <paramref name="y"/>): adds
    /// Σ_j (1 + d_ij²)⁻² (y_i − y_j) to (<paramref name="forceX"/>, <paramref name="forceY"/>) and returns
    /// Σ_j (1 + d_ij²)⁻¹, both over j ≠ i, summarising a cell by its centre of mass when side / distance &lt; θ.
    /// </summary>
    public double Repulsion(int i, double x, double y, double theta, Span<int> stack, ref double forceX, ref double forceY)
    {
        double theta2 = theta * theta, z = 0, fx = 0, fy = 0;
        int self = _leafOf[i];
        int top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            int k = stack[--top];
            ref Node node = ref _nodes[k];
            int count = node.Count;
            if (count == 0)
            {
                continue;
            }
            double dx = x - node.ComX, dy = y - node.ComY;
            double d2 = (dx * dx) + (dy * dy);
            if (node.FirstChild < 0)
            {
                count -= k == self ? 1 : 0;
                if (count == 0)
                {
                    continue;
                }
            }
            else
            {
                double side = 2 * node.HalfWidth;
                if (side * side >= theta2 * d2)
                {
                    int c = node.FirstChild;
                    stack[top++] = c;
                    stack[top++] = c + 1;
                    stack[top++] = c + 2;
                    stack[top++] = c + 3;
                    continue;
                }
            }
            double q = 1 / (1 + d2);
            z += count * q;
            double f = count * q * q;
            fx += f * dx;
            fy += f * dy;
        }
        forceX += fx;
        forceY += fy;
        return z;
    }

    /// <summary>Stack size that <see cref="Repulsion"/> needs for the last built tree.</summary>
    public int StackSize => (3 * MaxDepth) + 8;

    private void Insert(ReadOnlySpan<double> y, int i)
    {
        double px = y[2 * i], py = y[(2 * i) + 1];
        int k = 0;
        for (int depth = 0; ; depth++)
        {
            ref Node node = ref _nodes[k];
            node.Count++;
            node.ComX += px;
            node.ComY += py;
            if (node.FirstChild < 0)
            {
                if (node.Count == 1)
                {
                    node.Head = i;
                    _next[i] = -1;
                    _leafOf[i] = k;
                    return;
                }
                int head = node.Head;
                if ((y[2 * head] == px && y[(2 * head) + 1] == py) || depth == MaxDepth)
                {
                    _next[i] = head;
                    node.Head = i;
                    _leafOf[i] = k;
                    return;
                }
                Subdivide(k, y, head);
            }
            ref Node parent = ref _nodes[k];
            k = parent.FirstChild + Quadrant(parent, px, py);
        }
    }

    // Splits leaf k into four children and moves its points (all at one location, since unequal points never
    // share a leaf above the depth limit) into the child that contains them.
    private void Subdivide(int k, ReadOnlySpan<double> y, int head)
    {
        double cx = _nodes[k].CentreX, cy = _nodes[k].CentreY, h = _nodes[k].HalfWidth / 2;
        int first = _count;
        for (int q = 0; q < 4; q++)
        {
            NewNode(cx + ((q & 1) != 0 ? h : -h), cy + ((q & 2) != 0 ? h : -h), h);
        }
        ref Node node = ref _nodes[k];
        node.FirstChild = first;
        node.Head = -1;
        double hx = y[2 * head], hy = y[(2 * head) + 1];
        int target = first + Quadrant(node, hx, hy);
        ref Node child = ref _nodes[target];
        child.Head = head;
        for (int p = head; p >= 0; p = _next[p])
        {
            child.Count++;
            child.ComX += hx;
            child.ComY += hy;
            _leafOf[p] = target;
        }
    }

    private static int Quadrant(in Node node, double x, double y) => (x >= node.CentreX ? 1 : 0) + (y >= node.CentreY ? 2 : 0);

    private void NewNode(double cx, double cy, double halfWidth)
    {
        if (_count == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
        }
        _nodes[_count++] = new Node { CentreX = cx, CentreY = cy, HalfWidth = halfWidth, FirstChild = -1, Head = -1 };
    }

    // ComX/ComY hold coordinate sums while building and the centre of mass afterwards.
    private struct Node
    {
        public double CentreX;
        public double CentreY;
        public double HalfWidth;
        public double ComX;
        public double ComY;
        public int Count;
        public int FirstChild;
        public int Head;
    }
}
