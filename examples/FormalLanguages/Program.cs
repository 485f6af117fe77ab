using PrLstm.FormalLanguages.Models;
using static TorchSharp.torch;

using var model = new PrLstmModel(inputSize: 3, H: 8);
using var x = randn(2, 5, 3);
using var y = model.forward(x);
Console.WriteLine(string.Join(",", y.shape));
