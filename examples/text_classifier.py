"""A text classifier: TextVectorization, Embedding, GlobalAveragePooling1D, Dense.

Follows the Keras "text classification from scratch" example on a small set of generated
reviews: `TextVectorization` is adapted to the training text, a bag-of-embeddings model is
trained on the word ids, and an end-to-end model that takes raw strings is built from the
two for inference.

Run: python examples/text_classifier.py
"""

import numpy as np

import kerascore as keras

keras.utils.set_random_seed(11)

POSITIVE = ["great", "wonderful", "excellent", "lovely", "brilliant", "superb", "delightful"]
NEGATIVE = ["terrible", "awful", "boring", "dreadful", "poor", "horrible", "disappointing"]
NOUNS = ["movie", "film", "story", "plot", "acting", "soundtrack", "ending", "cast"]
TEMPLATES = [
    "the {noun} was {word}",
    "what a {word} {noun}",
    "I thought the {noun} was {word} and {word2}",
    "honestly a {word} {noun}, really {word2}",
    "{word} {noun}!",
    "the {noun} felt {word} from start to finish",
]


def make_reviews(num_samples, rng):
    """Returns `(texts, labels)`: generated reviews, label 1 for positive."""
    labels = rng.integers(0, 2, size=num_samples)
    texts = []
    for label in labels:
        words = POSITIVE if label == 1 else NEGATIVE
        template = TEMPLATES[rng.integers(len(TEMPLATES))]
        texts.append(
            template.format(noun=rng.choice(NOUNS), word=rng.choice(words), word2=rng.choice(words))
        )
    return np.array(texts), labels.astype("float32")


rng = np.random.default_rng(0)
train_texts, train_labels = make_reviews(800, rng)
test_texts, test_labels = make_reviews(200, rng)
print(f"Example review: '{train_texts[0]}' (label {train_labels[0]:.0f})")

vectorize_layer = keras.layers.TextVectorization(
    max_tokens=200, output_mode="int", output_sequence_length=12
)
vectorize_layer.adapt(train_texts)
print(f"Vocabulary size: {vectorize_layer.vocabulary_size()}")

model = keras.Sequential(
    [
        keras.Input(shape=(12,), dtype="int64"),
        keras.layers.Embedding(200, 16),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(
    vectorize_layer(train_texts),
    train_labels,
    batch_size=32,
    epochs=15,
    validation_split=0.1,
    verbose=2,
)
test_loss, test_accuracy = model.evaluate(vectorize_layer(test_texts), test_labels, verbose=0)

# An end-to-end model that takes raw strings.
string_input = keras.Input(shape=(1,), dtype="string")
end_to_end_model = keras.Model(string_input, model(vectorize_layer(string_input)))
new_reviews = ["what a wonderful film", "the plot was dreadful", "a superb cast, really lovely"]
raw_strings = keras.ops.convert_to_tensor([[review] for review in new_reviews])
scores = end_to_end_model.predict(raw_strings, verbose=0)

print(f"Test loss: {test_loss:.4f}")
print(f"Test accuracy: {test_accuracy:.4f}")
for review, score in zip(new_reviews, scores[:, 0]):
    print(f"Positive score for '{review}': {score:.4f}")
