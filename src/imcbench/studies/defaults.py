"""The study's default settings (:class:`imcbench.studies.paper_settings.StudySettings`), in a module of their own so that
``imcbench study --help`` shows them without importing the study (pandas, the mapper)."""

PAPER_SIZES = (32, 64, 128, 256, 512, 1024)  # rows = columns of the paper's square macros (Fig. 7/8)
MLPERF_TINY = ("resnet8", "ds_cnn", "mobilenet_v1", "deepautoencoder")
BEYOND_PAPER = ("mobilenet_v2", "resnet18", "bert_tiny")
# imcbench's full mapping space, ZigZag's (space and costs), and ZigZag's space with imcbench's costs (which
# tells the space's effect from that of ZigZag's DIMC-multiplier convention), side by side
DEFAULT_MAPPING_SPACES = ("full", "zigzag", "zigzag_mapping")
