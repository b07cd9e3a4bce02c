"""Layers: `from kerascore import layers` / `keras.layers.Dense(...)`.

Each layer lives in `kerascore/layers/<family>/<name>.py`, as in Keras; this module names
every public one explicitly.
"""

from kerascore.layers.activations.activation import Activation
from kerascore.layers.activations.elu import ELU
from kerascore.layers.activations.leaky_relu import LeakyReLU
from kerascore.layers.activations.prelu import PReLU
from kerascore.layers.activations.relu import ReLU
from kerascore.layers.activations.softmax import Softmax
from kerascore.layers.attention.additive_attention import AdditiveAttention
from kerascore.layers.attention.attention import Attention
from kerascore.layers.attention.grouped_query_attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
)
from kerascore.layers.attention.multi_head_attention import MultiHeadAttention
from kerascore.layers.convolutional.conv1d import Conv1D, Convolution1D
from kerascore.layers.convolutional.conv1d_transpose import Conv1DTranspose, Convolution1DTranspose
from kerascore.layers.convolutional.conv2d import Conv2D, Convolution2D
from kerascore.layers.convolutional.conv2d_transpose import Conv2DTranspose, Convolution2DTranspose
from kerascore.layers.convolutional.conv3d import Conv3D, Convolution3D
from kerascore.layers.convolutional.conv3d_transpose import Conv3DTranspose, Convolution3DTranspose
from kerascore.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from kerascore.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from kerascore.layers.convolutional.separable_conv1d import SeparableConv1D, SeparableConvolution1D
from kerascore.layers.convolutional.separable_conv2d import SeparableConv2D, SeparableConvolution2D
from kerascore.layers.core.dense import Dense
from kerascore.layers.core.einsum_dense import EinsumDense
from kerascore.layers.core.embedding import Embedding
from kerascore.layers.core.identity import Identity
from kerascore.layers.core.input_layer import Input, InputLayer
from kerascore.layers.core.lambda_layer import Lambda
from kerascore.layers.core.masking import Masking
from kerascore.layers.core.op_layer import SymbolicOp
from kerascore.layers.core.reversible_embedding import ReversibleEmbedding
from kerascore.layers.core.tfsm_layer import TFSMLayer
from kerascore.layers.core.wrapper import Wrapper
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.layers.merging.add import Add, add
from kerascore.layers.merging.average import Average, average
from kerascore.layers.merging.concatenate import Concatenate, concatenate
from kerascore.layers.merging.dot import Dot, dot
from kerascore.layers.merging.maximum import Maximum, maximum
from kerascore.layers.merging.minimum import Minimum, minimum
from kerascore.layers.merging.multiply import Multiply, multiply
from kerascore.layers.merging.subtract import Subtract, subtract
from kerascore.layers.normalization.batch_normalization import BatchNormalization
from kerascore.layers.normalization.group_normalization import GroupNormalization
from kerascore.layers.normalization.layer_normalization import LayerNormalization
from kerascore.layers.normalization.rms_normalization import RMSNormalization
from kerascore.layers.normalization.spectral_normalization import SpectralNormalization
from kerascore.layers.normalization.unit_normalization import UnitNormalization
from kerascore.layers.pooling.adaptive_average_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
)
from kerascore.layers.pooling.adaptive_max_pooling import (
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from kerascore.layers.pooling.average_pooling1d import AveragePooling1D, AvgPool1D
from kerascore.layers.pooling.average_pooling2d import AveragePooling2D, AvgPool2D
from kerascore.layers.pooling.average_pooling3d import AveragePooling3D, AvgPool3D
from kerascore.layers.pooling.global_average_pooling1d import (
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
)
from kerascore.layers.pooling.global_average_pooling2d import (
    GlobalAveragePooling2D,
    GlobalAvgPool2D,
)
from kerascore.layers.pooling.global_average_pooling3d import (
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
)
from kerascore.layers.pooling.global_max_pooling1d import GlobalMaxPool1D, GlobalMaxPooling1D
from kerascore.layers.pooling.global_max_pooling2d import GlobalMaxPool2D, GlobalMaxPooling2D
from kerascore.layers.pooling.global_max_pooling3d import GlobalMaxPool3D, GlobalMaxPooling3D
from kerascore.layers.pooling.max_pooling1d import MaxPool1D, MaxPooling1D
from kerascore.layers.pooling.max_pooling2d import MaxPool2D, MaxPooling2D
from kerascore.layers.pooling.max_pooling3d import MaxPool3D, MaxPooling3D
from kerascore.layers.preprocessing.categorical import CategoryEncoding, Hashing
from kerascore.layers.preprocessing.discretization import Discretization
from kerascore.layers.preprocessing.hashed_crossing import HashedCrossing
from kerascore.layers.preprocessing.image_preprocessing.aug_mix import AugMix
from kerascore.layers.preprocessing.image_preprocessing.auto_contrast import AutoContrast
from kerascore.layers.preprocessing.image_preprocessing.center_crop import CenterCrop
from kerascore.layers.preprocessing.image_preprocessing.clahe import (
    ContrastLimitedAdaptiveHistogramEqualization,
)
from kerascore.layers.preprocessing.image_preprocessing.cut_mix import CutMix
from kerascore.layers.preprocessing.image_preprocessing.equalization import Equalization
from kerascore.layers.preprocessing.image_preprocessing.max_num_bounding_boxes import (
    MaxNumBoundingBoxes,
)
from kerascore.layers.preprocessing.image_preprocessing.mix_up import MixUp
from kerascore.layers.preprocessing.image_preprocessing.rand_augment import RandAugment
from kerascore.layers.preprocessing.image_preprocessing.random_brightness import RandomBrightness
from kerascore.layers.preprocessing.image_preprocessing.random_color_degeneration import (
    RandomColorDegeneration,
)
from kerascore.layers.preprocessing.image_preprocessing.random_color_jitter import RandomColorJitter
from kerascore.layers.preprocessing.image_preprocessing.random_contrast import RandomContrast
from kerascore.layers.preprocessing.image_preprocessing.random_crop import RandomCrop
from kerascore.layers.preprocessing.image_preprocessing.random_elastic_transform import (
    RandomElasticTransform,
)
from kerascore.layers.preprocessing.image_preprocessing.random_erasing import RandomErasing
from kerascore.layers.preprocessing.image_preprocessing.random_flip import RandomFlip
from kerascore.layers.preprocessing.image_preprocessing.random_gaussian_blur import (
    RandomGaussianBlur,
)
from kerascore.layers.preprocessing.image_preprocessing.random_grayscale import RandomGrayscale
from kerascore.layers.preprocessing.image_preprocessing.random_hue import RandomHue
from kerascore.layers.preprocessing.image_preprocessing.random_invert import RandomInvert
from kerascore.layers.preprocessing.image_preprocessing.random_perspective import RandomPerspective
from kerascore.layers.preprocessing.image_preprocessing.random_posterization import (
    RandomPosterization,
)
from kerascore.layers.preprocessing.image_preprocessing.random_rotation import RandomRotation
from kerascore.layers.preprocessing.image_preprocessing.random_saturation import RandomSaturation
from kerascore.layers.preprocessing.image_preprocessing.random_sharpness import RandomSharpness
from kerascore.layers.preprocessing.image_preprocessing.random_shear import RandomShear
from kerascore.layers.preprocessing.image_preprocessing.random_translation import RandomTranslation
from kerascore.layers.preprocessing.image_preprocessing.random_zoom import RandomZoom
from kerascore.layers.preprocessing.image_preprocessing.resizing import Resizing
from kerascore.layers.preprocessing.image_preprocessing.solarization import Solarization
from kerascore.layers.preprocessing.integer_lookup import IntegerLookup
from kerascore.layers.preprocessing.mel_spectrogram import MelSpectrogram
from kerascore.layers.preprocessing.normalization import Normalization, Rescaling
from kerascore.layers.preprocessing.pipeline import Pipeline
from kerascore.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from kerascore.layers.preprocessing.string_lookup import StringLookup
from kerascore.layers.preprocessing.text_vectorization import TextVectorization
from kerascore.layers.regularization.activity_regularization import ActivityRegularization
from kerascore.layers.regularization.alpha_dropout import AlphaDropout
from kerascore.layers.regularization.dropout import Dropout
from kerascore.layers.regularization.gaussian_dropout import GaussianDropout
from kerascore.layers.regularization.gaussian_noise import GaussianNoise
from kerascore.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from kerascore.layers.reshaping.cropping1d import Cropping1D
from kerascore.layers.reshaping.cropping2d import Cropping2D
from kerascore.layers.reshaping.cropping3d import Cropping3D
from kerascore.layers.reshaping.flatten import Flatten
from kerascore.layers.reshaping.permute import Permute
from kerascore.layers.reshaping.repeat_vector import RepeatVector
from kerascore.layers.reshaping.reshape import Reshape
from kerascore.layers.reshaping.up_sampling1d import UpSampling1D
from kerascore.layers.reshaping.up_sampling2d import UpSampling2D
from kerascore.layers.reshaping.up_sampling3d import UpSampling3D
from kerascore.layers.reshaping.zero_padding1d import ZeroPadding1D
from kerascore.layers.reshaping.zero_padding2d import ZeroPadding2D
from kerascore.layers.reshaping.zero_padding3d import ZeroPadding3D
from kerascore.layers.rnn.bidirectional import Bidirectional
from kerascore.layers.rnn.conv_lstm1d import ConvLSTM1D
from kerascore.layers.rnn.conv_lstm2d import ConvLSTM2D
from kerascore.layers.rnn.conv_lstm3d import ConvLSTM3D
from kerascore.layers.rnn.gru import GRU, GRUCell
from kerascore.layers.rnn.lstm import LSTM, LSTMCell
from kerascore.layers.rnn.rnn import RNN
from kerascore.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from kerascore.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kerascore.layers.rnn.time_distributed import TimeDistributed
from kerascore.layers.serialization import deserialize, serialize

__all__ = [
    "Activation",
    "ActivityRegularization",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "Add",
    "AdditiveAttention",
    "AlphaDropout",
    "Attention",
    "AugMix",
    "AutoContrast",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "Concatenate",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "CutMix",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Discretization",
    "Dot",
    "Dropout",
    "ELU",
    "EinsumDense",
    "Embedding",
    "Equalization",
    "Flatten",
    "GRU",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "HashedCrossing",
    "Hashing",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "IntegerLookup",
    "LSTM",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxNumBoundingBoxes",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "MelSpectrogram",
    "Minimum",
    "MixUp",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "Pipeline",
    "RMSNormalization",
    "RNN",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "ReversibleEmbedding",
    "STFTSpectrogram",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "Solarization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "SymbolicOp",
    "TFSMLayer",
    "TextVectorization",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "Wrapper",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "serialize",
    "subtract",
]
