"""A functional model with two inputs and two outputs.

Follows the ticket-triage example of the Keras functional API guide: from a ticket's title
(word ids) and its tags (multi-hot), predict a priority score in [0, 1] and the department
that should handle it. Losses and metrics are given as dicts keyed by output name, and
`loss_weights` balances the two losses. The tickets are generated: the department is the
word group that dominates the title, the priority depends on the urgent tags.

Run: python examples/functional_two_inputs_two_outputs.py
"""

import numpy as np

import kerascore as keras

NUM_WORDS = 60  # three departments, twenty words each
NUM_TAGS = 12  # the first four are urgent
NUM_DEPARTMENTS = 3
TITLE_LENGTH = 10

keras.utils.set_random_seed(1)


def make_tickets(num_samples, rng):
    """Returns the two inputs and the two targets as dicts keyed by layer name."""
    department = rng.integers(0, NUM_DEPARTMENTS, size=num_samples)
    own_words = department[:, None] * 20 + rng.integers(0, 20, size=(num_samples, TITLE_LENGTH))
    other_words = rng.integers(0, NUM_WORDS, size=(num_samples, TITLE_LENGTH))
    title = np.where(rng.random((num_samples, TITLE_LENGTH)) < 0.6, own_words, other_words)
    tags = (rng.random((num_samples, NUM_TAGS)) < 0.3).astype("float32")
    priority = tags[:, :4].mean(axis=1, keepdims=True)
    inputs = {"title": title, "tags": tags}
    targets = {"priority": priority, "department": department}
    return inputs, targets


title_input = keras.Input(shape=(TITLE_LENGTH,), dtype="int32", name="title")
tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")

title_features = keras.layers.Embedding(NUM_WORDS, 16)(title_input)
title_features = keras.layers.GlobalAveragePooling1D()(title_features)
x = keras.layers.Concatenate()([title_features, tags_input])
x = keras.layers.Dense(32, activation="relu")(x)

priority_output = keras.layers.Dense(1, activation="sigmoid", name="priority")(x)
department_output = keras.layers.Dense(NUM_DEPARTMENTS, activation="softmax", name="department")(x)

model = keras.Model(inputs=[title_input, tags_input], outputs=[priority_output, department_output])
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=3e-3),
    loss={
        "priority": "binary_crossentropy",
        "department": "sparse_categorical_crossentropy",
    },
    loss_weights={"priority": 1.0, "department": 0.2},
    metrics={"priority": ["mean_absolute_error"], "department": ["accuracy"]},
)

rng = np.random.default_rng(0)
train_inputs, train_targets = make_tickets(2000, rng)
test_inputs, test_targets = make_tickets(500, rng)
model.fit(train_inputs, train_targets, batch_size=32, epochs=10, verbose=2)

results = model.evaluate(test_inputs, test_targets, verbose=0, return_dict=True)
for name, value in results.items():
    print(f"Test {name}: {value:.4f}")
