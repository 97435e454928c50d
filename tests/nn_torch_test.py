#!/usr/bin/python3
"""A small network's loss and every gradient against PyTorch (python3-torch),
float64, same weights and inputs: actlab's driver prints its model, inputs,
loss and gradients; this script rebuilds the model in torch.nn and compares.

Usage: nn_torch_test.py NN_PARITY_DRIVER
"""
import json
import subprocess
import sys
import unittest

import torch

DRIVER = sys.argv[1]
torch.set_default_dtype(torch.float64)


class Residual(torch.nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


def activation(spec, width):
    name, p = spec["activation"], spec.get("params", {})
    nn = torch.nn
    table = {
        "identity": lambda: nn.Identity(), "relu": lambda: nn.ReLU(), "tanh": lambda: nn.Tanh(),
        "sigmoid": lambda: nn.Sigmoid(), "gelu": lambda: nn.GELU(),
        "gelu_tanh": lambda: nn.GELU(approximate="tanh"), "silu": lambda: nn.SiLU(), "mish": lambda: nn.Mish(),
        "elu": lambda: nn.ELU(alpha=p.get("alpha", 1.0)), "selu": lambda: nn.SELU(),
        "celu": lambda: nn.CELU(alpha=p.get("alpha", 1.0)),
        "leaky_relu": lambda: nn.LeakyReLU(negative_slope=p.get("negative_slope", 0.01)),
        "softplus": lambda: nn.Softplus(beta=p.get("beta", 1.0), threshold=p.get("threshold", 20.0)),
        "softsign": lambda: nn.Softsign(), "hardswish": lambda: nn.Hardswish(), "logsigmoid": lambda: nn.LogSigmoid(),
        "softmax": lambda: nn.Softmax(dim=1), "log_softmax": lambda: nn.LogSoftmax(dim=1),
        "glu": lambda: nn.GLU(dim=1),
        "prelu": lambda: nn.PReLU(num_parameters=width if spec.get("per_channel") else 1),
    }
    return table[name]()


def build(layers, width):
    mods = []
    for s in layers:
        k = s["kind"]
        if k == "dense":
            mods.append(torch.nn.Linear(width, s["units"]))
            width = s["units"]
        elif k == "activation":
            mods.append(activation(s, width))
            if s["activation"] == "glu":
                width //= 2
        elif k == "batchnorm":
            mods.append(torch.nn.BatchNorm1d(width, eps=s.get("eps", 1e-5), momentum=s.get("momentum", 0.1)))
        elif k == "layernorm":
            mods.append(torch.nn.LayerNorm(width, eps=s.get("eps", 1e-5)))
        elif k == "residual":
            body, _ = build(s["body"], width)
            mods.append(Residual(body))
        else:
            raise ValueError(k)
    return torch.nn.Sequential(*mods), width


def compare(test, spec, tol=1e-10):
    out = json.loads(subprocess.run([DRIVER, json.dumps(spec)], capture_output=True, text=True,
                                    check=True).stdout)
    model, width = build(spec["layers"], spec["input"])
    state = model.state_dict()
    for name, values in out["weights"].items():
        test.assertIn(name, state, f"actlab parameter {name} has no torch counterpart")
        state[name] = torch.tensor(values).reshape(state[name].shape)
    model.load_state_dict(state)
    model.train()
    x = torch.tensor(out["x"]).reshape(spec["rows"], spec["input"]).requires_grad_(True)
    y = model(x)
    if spec["loss"] == "cross_entropy":
        loss = torch.nn.functional.cross_entropy(y, torch.tensor(out["labels"]))
    elif spec["loss"] == "nll":
        loss = torch.nn.functional.nll_loss(y, torch.tensor(out["labels"]))
    elif spec["loss"] == "mse":
        loss = torch.nn.functional.mse_loss(y, torch.tensor(out["targets"]).reshape(y.shape))
    elif spec["loss"] == "bce":
        loss = torch.nn.functional.binary_cross_entropy_with_logits(y, torch.tensor(out["targets"]).reshape(y.shape))
    else:
        loss = torch.nn.functional.huber_loss(y, torch.tensor(out["targets"]).reshape(y.shape))
    loss.backward()
    test.assertAlmostEqual(out["loss"], loss.item(), delta=tol * max(1, abs(loss.item())))
    torch.testing.assert_close(torch.tensor(out["output"]), y.detach().ravel(), rtol=tol, atol=tol)
    params = dict(model.named_parameters())
    test.assertEqual(sorted(params), sorted(out["grads"]))
    for name, g in out["grads"].items():
        torch.testing.assert_close(torch.tensor(g), params[name].grad.ravel(), rtol=1e-9, atol=tol,
                                   msg=lambda m: f"{name}: {m}")
    torch.testing.assert_close(torch.tensor(out["dx"]), x.grad.ravel(), rtol=1e-9, atol=tol)
    buffers = dict(model.named_buffers())
    for name, b in out.get("buffers", {}).items():
        torch.testing.assert_close(torch.tensor(b), buffers[name].ravel(), rtol=1e-9, atol=tol, msg=name)


def dense(n):
    return {"kind": "dense", "units": n}


def act(name, **kw):
    d = {"kind": "activation", "activation": name}
    d.update(kw)
    return d


class Parity(unittest.TestCase):
    def test_mlp_cross_entropy(self):
        compare(self, {"input": 5, "rows": 7, "seed": 1, "loss": "cross_entropy",
                       "layers": [dense(8), act("relu"), dense(6), act("tanh"), dense(3)]})

    def test_norms_residual_prelu(self):
        compare(self, {"input": 4, "rows": 9, "seed": 2, "loss": "cross_entropy",
                       "layers": [dense(6), {"kind": "batchnorm"}, act("gelu"), dense(5), {"kind": "layernorm"},
                                  act("elu", params={"alpha": 0.7}),
                                  {"kind": "residual", "body": [dense(5), act("silu"), dense(5)]},
                                  act("prelu", per_channel=True), dense(4), act("prelu"), dense(3)]})

    def test_every_smooth_activation(self):
        for name in ["sigmoid", "gelu_tanh", "mish", "selu", "celu", "softplus", "softsign", "logsigmoid",
                     "leaky_relu", "hardswish"]:
            with self.subTest(name):
                compare(self, {"input": 3, "rows": 6, "seed": 4, "loss": "mse",
                               "layers": [dense(6), act(name), dense(2)]})

    def test_glu_softmax_losses(self):
        compare(self, {"input": 3, "rows": 5, "seed": 5, "loss": "bce",
                       "layers": [dense(8), act("glu"), dense(4), act("softmax"), dense(2)]})
        compare(self, {"input": 3, "rows": 5, "seed": 6, "loss": "nll",
                       "layers": [dense(6), act("tanh"), dense(4), act("log_softmax")]})
        compare(self, {"input": 3, "rows": 5, "seed": 7, "loss": "huber",
                       "layers": [dense(6), act("sigmoid"), dense(2)]})


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
