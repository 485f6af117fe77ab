using System.Numerics;

namespace PrLstm.Experiments.Tasks;

/// <summary>Binary strings and exact integers for the binary tasks (lengths reach 500 bits).</summary>
public static class Bits
{
    /// <summary>n iid fair bits.</summary>
    public static int[] Random(TaskRandom random, int n)
    {
        var bits = new int[n];
        for (int i = 0; i < n; i++) bits[i] = random.Bit();
        return bits;
    }

    /// <summary>U{1..2^n - 1}: n random bits (little-endian), drawn again while all are zero.</summary>
    public static int[] NonZero(TaskRandom random, int n)
    {
        int[] bits;
        do bits = Random(random, n); while (bits.All(b => b == 0));
        return bits;
    }

    public static BigInteger FromLittleEndian(IReadOnlyList<int> bits)
    {
        BigInteger value = BigInteger.Zero;
        for (int i = bits.Count - 1; i >= 0; i--) value = (value << 1) + bits[i];
        return value;
    }

    /// <summary>Minimal little-endian binary, without trailing zeros; 0 is [0].</summary>
    public static int[] ToLittleEndianMinimal(BigInteger value)
    {
        if (value.Sign < 0) throw new ArgumentOutOfRangeException(nameof(value));
        if (value.IsZero) return new[] { 0 };
        var bits = new List<int>();
        for (; !value.IsZero; value >>= 1) bits.Add((int)(value & 1));
        return bits.ToArray();
    }

    /// <summary>Exactly <paramref name="width"/> little-endian bits.</summary>
    public static int[] ToLittleEndian(BigInteger value, int width)
    {
        var bits = new int[width];
        for (int i = 0; i < width; i++, value >>= 1) bits[i] = (int)(value & 1);
        return bits;
    }

    /// <summary>Exactly <paramref name="width"/> big-endian bits (zero-padded on the left).</summary>
    public static int[] ToBigEndian(BigInteger value, int width)
    {
        var bits = ToLittleEndian(value, width);
        Array.Reverse(bits);
        return bits;
    }

    public static BigInteger FromBigEndian(IReadOnlyList<int> bits) => FromLittleEndian(bits.Reverse().ToArray());

    /// <summary>floor(sqrt(m)), exactly (Newton's method on integers).</summary>
    public static BigInteger IntegerSqrt(BigInteger m)
    {
        if (m.Sign < 0) throw new ArgumentOutOfRangeException(nameof(m));
        if (m < 2) return m;
        BigInteger x = BigInteger.One << (int)((m.GetBitLength() + 1) / 2); // ≥ sqrt(m)
        while (true)
        {
            BigInteger y = (x + m / x) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }

    /// <summary>Pads a target with zeros to <paramref name="length"/>.</summary>
    public static int[] Pad(IEnumerable<int> values, int length)
    {
        var padded = new int[length];
        int i = 0;
        foreach (int v in values) padded[i++] = v;
        return padded;
    }

    public static int Mod(int x, int m) => ((x % m) + m) % m;
}
