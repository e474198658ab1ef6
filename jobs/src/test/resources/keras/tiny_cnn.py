"""Writes tiny_cnn.h5 (Sequential) and tiny_cnn_functional.h5 (the same net as a functional Model): small Keras 2
CNNs for Fashion-MNIST-shaped input (channels last), in the
HDF5 layout Keras's model.save() produces (model_config JSON, training_config, model_weights/<layer>/<layer>/<w>:0),
with weights given by a closed form (scale * sin(0.37 i^2 + k) over each array's Keras-order elements i: a
fixed pseudo-random pattern) that the tests recompute. Written with h5py alone, so no Keras install is needed. Run: python3 tiny_cnn.py (needs h5py and numpy)."""
import json

import h5py
import numpy as np


def init(name):
    return {"class_name": name, "config": {}}


def glorot():
    return {"class_name": "VarianceScaling",
            "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def conv(name, filters, fmt, input_shape=None):
    c = {"name": name, "trainable": True, "filters": filters, "kernel_size": [3, 3], "strides": [1, 1],
         "padding": "valid", "data_format": fmt, "dilation_rate": [1, 1], "activation": "relu", "use_bias": True,
         "kernel_initializer": glorot(), "bias_initializer": init("Zeros"), "kernel_regularizer": None,
         "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}
    if input_shape:
        c["batch_input_shape"] = [None] + input_shape
        c["dtype"] = "float32"
    return {"class_name": "Conv2D", "config": c}


def dense(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "units": units, "activation": activation, "use_bias": True,
        "kernel_initializer": glorot(), "bias_initializer": init("Zeros"), "kernel_regularizer": None,
        "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}}


def write(path, functional):
    fmt = "channels_last"
    shape = [28, 28, 1]
    layers = [conv("conv1", 8, fmt, None if functional else shape),
              {"class_name": "MaxPooling2D", "config": {"name": "pool1", "trainable": True, "pool_size": [2, 2],
                                                        "padding": "valid", "strides": [2, 2], "data_format": fmt}},
              {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "data_format": fmt}},
              dense("fc1", 32, "relu"),
              dense("predictions", 10, "softmax")]
    if functional:
        previous = "input_1"
        for layer in layers:
            layer["name"] = layer["config"]["name"]
            layer["inbound_nodes"] = [[[previous, 0, 0, {}]]]
            previous = layer["name"]
        entry = {"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [],
                 "config": {"batch_input_shape": [None] + shape, "dtype": "float32", "sparse": False,
                            "name": "input_1"}}
        model = {"class_name": "Model", "config": {"name": "tiny_cnn", "layers": [entry] + layers,
                                                   "input_layers": [["input_1", 0, 0]],
                                                   "output_layers": [["predictions", 0, 0]]},
                 "keras_version": "2.2.4", "backend": "tensorflow"}
        all_layers = [entry] + layers
    else:
        model = {"class_name": "Sequential", "config": {"name": "tiny_cnn", "layers": layers},
                 "keras_version": "2.2.4", "backend": "tensorflow"}
        all_layers = layers
    training = {"optimizer_config": {"class_name": "Adam", "config": {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                                                      "decay": 0.0, "epsilon": 1e-07,
                                                                      "amsgrad": False}},
                "loss": "categorical_crossentropy", "metrics": ["accuracy"], "sample_weight_mode": None,
                "loss_weights": None}
    # Keras shapes: conv kernel [kh, kw, in, out], dense kernel [in, out]; 13x13x8 = 1352 features after the pool.
    shapes = {"conv1": [("kernel", (3, 3, 1, 8)), ("bias", (8,))],
              "fc1": [("kernel", (1352, 32)), ("bias", (32,))],
              "predictions": [("kernel", (32, 10)), ("bias", (10,))]}
    weights = {}
    k = 0
    for name, arrays in shapes.items():
        weights[name] = []
        for w, shape in arrays:
            k += 1
            scale = 0.3 if name == "conv1" else 0.05
            i = np.arange(int(np.prod(shape)), dtype=np.int64)
            values = scale * np.sin(0.37 * (i * i).astype(np.float64) + k)
            weights[name].append((w, values.reshape(shape)))
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(model).encode()
        f.attrs["training_config"] = json.dumps(training).encode()
        root = f.create_group("model_weights")
        names = [layer["config"]["name"] for layer in all_layers]
        root.attrs["layer_names"] = np.array([n.encode() for n in names])
        root.attrs["backend"] = b"tensorflow"
        root.attrs["keras_version"] = b"2.2.4"
        for name in names:
            group = root.create_group(name)
            ws = weights.get(name, [])
            group.attrs["weight_names"] = np.array([f"{name}/{w}:0".encode() for w, _ in ws], dtype="S")
            for w, value in ws:
                group.create_dataset(f"{name}/{w}:0", data=value.astype(np.float32))


write("tiny_cnn.h5", False)
write("tiny_cnn_functional.h5", True)
