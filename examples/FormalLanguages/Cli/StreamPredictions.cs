using PrLstm.Experiments;
using System.Text.Json;
using System.Threading.Channels;
using PrLstm.Runtime.Modules;
using PrLstm.Experiments.Tasks;
using PrLstm.Experiments.Training;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>
/// `prlstm predict --stream`: symbols from standard input, read as they arrive, each pushed into the model's stream
/// (one combine or two per symbol for the pr-* models); after each one the answer for the input so far, the same as
/// `predict --input` of that prefix: the output slots that follow the input are read with Peek, which leaves the
/// stream as it was. Models that cannot stream (the baselines) recompute the prefix at every symbol.
/// </summary>
public static class StreamPredictions
{
    private const int Interrupted = 130;

    public static int Run(TaskModel model, RunConfig config, FormalTask task, string? session, bool json, CancellationToken cancellation)
    {
        using var noGrad = no_grad();
        using var stream = model.OpenStream(1);
        var symbols = new System.Text.StringBuilder();
        if (session is not null && File.Exists(session))
        {
            var notes = stream.Restore(session);
            if (!notes.TryGetValue("task", out var savedTask) || savedTask != task.Name || !notes.TryGetValue("input", out var input))
                throw new InvalidDataException($"'{session}' is not a stream session of {task.Name} (it has no task and input notes, or "
                    + $"another task)");
            task.Parse(input);
            if (input.Length != stream.Position)
                throw new InvalidDataException($"'{session}' holds {stream.Position} tokens but its input note has {input.Length} symbols");
            symbols.Append(input);
        }

        // Standard input is read on its own thread, so that Ctrl-C can stop the loop while a read waits.
        var arrived = Channel.CreateUnbounded<int>();
        var reader = new Thread(() =>
        {
            int ch;
            while ((ch = Console.In.Read()) >= 0) arrived.Writer.TryWrite(ch);
            arrived.Writer.TryComplete();
        })
        { IsBackground = true, Name = "prlstm stdin" };
        reader.Start();

        int status = 0;
        try
        {
            while (true)
            {
                int ch;
                try
                {
                    if (!arrived.Reader.WaitToReadAsync(cancellation).AsTask().GetAwaiter().GetResult()) break;
                    ch = arrived.Reader.ReadAsync(cancellation).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    status = Interrupted;
                    break;
                }
                char symbol = (char)ch;
                if (char.IsWhiteSpace(symbol)) continue;
                int id = task.Alphabet.IndexOf(symbol);
                if (id < 0)
                    throw new FormatException($"'{symbol}' (symbol {symbols.Length + 1} of the stream) is not in the alphabet of "
                        + $"{task.Name} (\"{task.Alphabet}\")");
                symbols.Append(symbol);
                Answer(model, stream, task, id, symbols.ToString(), json);
                Console.Out.Flush();
            }
        }
        finally
        {
            if (session is not null && stream.Position > 0)
                stream.Save(session,
                    new Dictionary<string, string> { ["task"] = task.Name, ["model"] = config.Model, ["input"] = symbols.ToString() });
        }
        return status;
    }

    /// <summary>Pushes one token and prints the answer for the input so far (one line).</summary>
    private static void Answer(TaskModel model, IModelStream stream, FormalTask task, int id, string input, bool json)
    {
        using var scope = NewDisposeScope();
        var channels = task.InputSize + 1;
        stream.Push(OneHot(id, channels).unsqueeze(0));
        // The output slots after the input, read without being kept: the next symbol continues the input.
        int slots = task.OutputLength(input.Length);
        var empty = stack(Enumerable.Range(0, slots).Select(_ => OneHot(task.InputSize, channels)).ToArray()).unsqueeze(0);
        var logits = model.Readout(stream.Peek(empty))[0]; // [L, C]
        int[] answer = logits.argmax(1).data<long>().Select(v => (int)v).ToArray();
        int[]? expected = null;
        try { expected = task.TargetFor(task.Parse(input)); } catch (FormatException) { }
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                position = input.Length,
                symbol = input[^1].ToString(),
                answer = Symbols(task, answer),
                expected = expected is null ? null : Symbols(task, expected),
                logits = Rows(logits),
            }, Json));
        }
        else
        {
            string check = expected is null ? "" : $"\texpected {Symbols(task, expected)}";
            Console.WriteLine($"{input.Length}\t{input[^1]}\t{Symbols(task, answer)}{check}");
        }
    }

    private static Tensor OneHot(int channel, int channels)
    {
        var row = zeros(channels);
        row[channel].fill_(1);
        return row;
    }

    /// <summary>One line of JSON per answer; logits that are NaN or infinite (a diverged model) are written as "NaN", "Infinity".</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>An answer's class ids in the task's output alphabet.</summary>
    public static string Symbols(FormalTask task, int[] ids) => new(ids.Select(i => task.OutputAlphabet[i]).ToArray());

    /// <summary>Logits <c>[L, C]</c> as rows of numbers, for JSON.</summary>
    public static float[][] Rows(Tensor logits) =>
        Enumerable.Range(0, (int)logits.shape[0]).Select(t => logits[t].to_type(ScalarType.Float32).data<float>().ToArray()).ToArray();
}
