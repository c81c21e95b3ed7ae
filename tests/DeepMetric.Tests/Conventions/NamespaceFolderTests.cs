using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DeepMetric.Tests.Conventions;

/// <summary>
/// Namespace = folder: every C# file under src/, tests/ and bench/ declares the project's root namespace followed by
/// its folder path, except the folders listed with a reason in tools/namespace-exceptions.txt. Fix a failure with
/// <c>python3 tools/sync-namespaces.py</c>.
/// </summary>
public sealed partial class NamespaceFolderTests
{
    [GeneratedRegex(@"^\s*namespace\s+([A-Za-z_][\w.]*)\s*[;{]", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"^\s*(?:(?:public|internal|static|sealed|abstract|partial|readonly|file)\s+)*(?:class|struct|interface|enum|record)\s", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    [SourceTreeFact]
    public void EveryFileDeclaresTheNamespaceOfItsFolder()
    {
        string root = SourceTree.Root!;
        var exceptions = ReadExceptions(root);
        var wrong = new List<string>();
        int checkedFiles = 0;
        foreach (string project in new[] { "src", "tests", "bench" }
                     .Select(d => Path.Combine(root, d)).Where(Directory.Exists)
                     .SelectMany(d => Directory.EnumerateFiles(d, "*.csproj", SearchOption.AllDirectories)))
        {
            string projectDir = Path.GetDirectoryName(project)!;
            string rootNamespace = XDocument.Load(project).Descendants("RootNamespace").FirstOrDefault()?.Value.Trim()
                                   ?? Path.GetFileNameWithoutExtension(project);
            foreach (string file in Directory.EnumerateFiles(projectDir, "*.cs", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(root, file).Replace('\\', '/');
                string relInProject = Path.GetRelativePath(projectDir, file).Replace('\\', '/');
                if (relInProject.StartsWith("bin/", StringComparison.Ordinal) || relInProject.StartsWith("obj/", StringComparison.Ordinal))
                {
                    continue;
                }
                checkedFiles++;
                string text = File.ReadAllText(file);
                var m = NamespaceLine().Match(text);
                string folder = Path.GetDirectoryName(rel)!.Replace('\\', '/');
                string expected = exceptions.TryGetValue(folder, out string? ns)
                    ? ns
                    : string.Join('.', new[] { rootNamespace }.Concat(
                        Path.GetDirectoryName(relInProject)!.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries)));
                if (!m.Success)
                {
                    if (TypeDeclaration().IsMatch(text))
                    {
                        wrong.Add($"{rel}: declares types without a namespace (expected {expected})");
                    }
                    continue;
                }
                if (m.Groups[1].Value != expected)
                {
                    wrong.Add($"{rel}: namespace {m.Groups[1].Value}, expected {expected}");
                }
            }
        }
        Assert.True(checkedFiles > 100, $"only {checkedFiles} source files found under {root}");
        Assert.True(wrong.Count == 0,
            $"{wrong.Count} file(s) whose namespace is not their folder's (run `python3 tools/sync-namespaces.py`):\n"
            + string.Join('\n', wrong));
    }

    [SourceTreeFact]
    public void EveryExceptionNamesAnExistingFolder()
    {
        string root = SourceTree.Root!;
        foreach (string folder in ReadExceptions(root).Keys)
        {
            Assert.True(Directory.Exists(Path.Combine(root, folder)), $"tools/namespace-exceptions.txt names {folder}, which does not exist");
        }
    }

    private static Dictionary<string, string> ReadExceptions(string root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.Combine(root, "tools", "namespace-exceptions.txt");
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Split('#', 2)[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            Assert.True(parts.Length == 2, $"tools/namespace-exceptions.txt: '{raw}' is not '<folder> <namespace>'");
            result[parts[0].TrimEnd('/')] = parts[1];
        }
        return result;
    }
}
