using PrLstm.Experiments.Training;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>Length lists on the command line: "41-500", "41-500:10" (every 10th), "41,60,100", or a mix.</summary>
public static class Lengths
{
    public static IReadOnlyList<int> Parse(string text)
    {
        var lengths = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string range = part, step = "1";
            if (part.Contains(':')) (range, step) = (part[..part.IndexOf(':')], part[(part.IndexOf(':') + 1)..]);
            string[] ends = range.Split('-');
            if (ends.Length > 2 || !int.TryParse(ends[0], out int first) || !int.TryParse(ends[^1], out int last)
                || !int.TryParse(step, out int every) || every < 1)
                throw new FormatException($"'{part}' is not a length list; write 41-500, 41-500:10 or 41,60,100");
            if (first < 1 || last < first)
                throw new FormatException($"'{part}': lengths must be at least 1 and ranges go upwards");
            if (last > RunLimits.MaxLength)
                throw new FormatException($"'{part}': lengths are at most {RunLimits.MaxLength}");
            // long: first + every can pass int.MaxValue, which would wrap around and never end.
            for (long n = first; n <= last; n += every)
            {
                if (lengths.Count == RunLimits.MaxLengthCount)
                    throw new FormatException($"the length list has more than {RunLimits.MaxLengthCount} lengths");
                lengths.Add((int)n);
            }
        }
        if (lengths.Count == 0) throw new FormatException("the length list is empty");
        return lengths;
    }
}
