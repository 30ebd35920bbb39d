"""Every published number the course relies on, in one place, each with its source.

Nothing here is computed: these are values printed in papers (or in the authors' code),
with the paper, table, figure or equation beside them. Modules that turn them into laws
(``chinchilla``, ``data_limits``, ``compute``) import from here, so a value is written
once. Derived quantities are computed in the modules and checked in ``tests/``.

Conventions: N parameters, D training tokens, C training FLOP, L loss in nats per token.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------- units

#: One petaflop/s-day in FLOP: 1e15 FLOP/s × 86,400 s (Kaplan et al. 2020, §1.3).
PF_DAY = 1e15 * 86_400


# ------------------------------------------------------- parametric L(N, D) fits


@dataclass(frozen=True)
class ParametricFit:
    """Published parameters of L(N, D) = E + A / N**alpha + B / D**beta."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str


#: Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models",
#: arXiv:2203.15556, §3.3 and App. D.2: the values as printed in the paper.
HOFFMANN_2022_PRINTED = ParametricFit(
    E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
    source="Hoffmann et al. 2022 (arXiv:2203.15556), §3.3 / App. D.2, as printed",
)

#: The same fit at full precision, from the paper's TeX source, as used by Besiroglu
#: et al. 2024 (their notebook, cell 16): ln A = 6.0073404, ln B = 6.0179186,
#: ln E = 0.5267228, alpha = 0.33917084, beta = 0.2849083.
HOFFMANN_2022_UNROUNDED_LOGS = dict(a=6.0073404, b=6.0179186, e=0.5267228)
HOFFMANN_2022_UNROUNDED_EXPONENTS = dict(alpha=0.33917084, beta=0.2849083)

#: Besiroglu, Erdil, Barnett & You 2024, "Chinchilla Scaling: A replication attempt",
#: arXiv:2404.10102, Table 1: their point estimate, a Huber-likelihood fit (BFGS) to 240
#: points extracted from Hoffmann et al.'s Figure 4. All five values are from that one fit,
#: as printed to five decimals in their notebook (epoch-research/analyzing-chinchilla,
#: data_analysis.ipynb cell 25: A 482.00572, B 2085.43420, E 1.81686, α 0.34781,
#: β 0.36585); Table 1 rounds them to 482.01, 2085.43, 1.82, 0.35, 0.37. (Until issue 13
#: this constant took E = 1.8172 from the grid replication below: two fits mixed.)
BESIROGLU_2024_FIT = ParametricFit(
    E=1.81686, A=482.01, B=2085.43, alpha=0.34781, beta=0.36585,
    source="Besiroglu et al. 2024 (arXiv:2404.10102), Table 1 (likelihood fit; notebook cell 25)",
)
#: Bootstrap standard errors of that fit (Besiroglu et al. 2024, Table 1).
BESIROGLU_2024_STANDARD_ERRORS = dict(E=0.03, A=124.58, B=1293.23, alpha=0.02, beta=0.02)
#: A separate fit, kept apart from the one above: their exact replication of Hoffmann's
#: procedure (sum of Huber losses, delta = 1e-3, L-BFGS-B from the 4,500-start grid) on the
#: same 240 points (their notebook, cell 18: A 477.84, B 2143.86, E 1.817236,
#: α 0.34731, β 0.36718).
BESIROGLU_2024_GRID_FIT = dict(E=1.8172, A=477.84, B=2143.86, alpha=0.34731, beta=0.36718)

#: Muennighoff et al. 2023, "Scaling Data-Constrained Language Models", arXiv:2305.16264
#: (README "Parametric Fit" of huggingface/datablations): the base law with alpha = beta
#: tied, and the decay constants of repeated data (R_D*) and excess parameters (R_N*).
MUENNIGHOFF_2023_FIT = ParametricFit(
    E=1.869, A=520.8, B=1487.7, alpha=0.3526596, beta=0.3526596,
    source="Muennighoff et al. 2023 (arXiv:2305.16264), eqs. 5-6 and datablations README",
)
MUENNIGHOFF_2023_R_D_STAR = 15.387756
MUENNIGHOFF_2023_R_N_STAR = 5.309743

# ----------------------------------------------------------- Hoffmann et al. facts

#: Hoffmann's Approach-3 fit used Huber loss with this delta (App. D.2).
HOFFMANN_2022_HUBER_DELTA = 1e-3
#: Approach 2 (IsoFLOP profiles) used 9 training budgets from 6e18 to 3e21 FLOP
#: (Hoffmann et al. 2022, §3.2 and Figure 3).
HOFFMANN_2022_ISOFLOP_RANGE = (6e18, 3e21)
HOFFMANN_2022_ISOFLOP_N_BUDGETS = 9
#: Training compute of the runs Approach 3 was fitted to, 1.40e18 to 1.30e22 FLOP: the 245
#: points of Hoffmann et al.'s Figure 4 as extracted by Besiroglu et al. 2024
#: (epoch-research/analyzing-chinchilla, data/svg_extracted_data.csv; recomputed here). Both
#: the printed law and Besiroglu's refit rest on these runs; beyond them they extrapolate.
HOFFMANN_2022_FIG4_FLOP_RANGE = (1.4e18, 1.3e22)
#: The initialisation grid of Approach 3 (App. D.2): 5 × 5 × 5 × 6 × 6 = 4,500 starts.
HOFFMANN_2022_GRID = dict(
    alpha=(0.0, 0.5, 1.0, 1.5, 2.0),
    beta=(0.0, 0.5, 1.0, 1.5, 2.0),
    e=(-1.0, -0.5, 0.0, 0.5, 1.0),
    a=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    b=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
)

#: Table 2 of Hoffmann et al. 2022: exponent a of N_opt ∝ C^a for each approach.
HOFFMANN_2022_TABLE2_A = {"approach 1": 0.50, "approach 2": 0.49, "approach 3": 0.46, "Kaplan et al. 2020": 0.73}

#: Table 3 of Hoffmann et al. 2022 (Approach 1 projections): (parameters, FLOPs, tokens).
#: The 67B row's tokens are printed rounded to 1.5T, so 6ND misses its FLOPs by 4.7%.
HOFFMANN_2022_TABLE3 = (
    (400e6, 1.92e19, 8.0e9),
    (1e9, 1.21e20, 20.2e9),
    (10e9, 1.23e22, 205.1e9),
    (67e9, 5.76e23, 1.5e12),
    (175e9, 3.85e24, 3.7e12),
    (280e9, 9.90e24, 5.9e12),
    (520e9, 3.43e25, 11.0e12),
    (1e12, 1.27e26, 21.2e12),
    (10e12, 1.30e28, 216.2e12),
)

#: Chinchilla: 70B parameters trained on 1.4T tokens with Gopher's budget of 5.76e23 FLOP
#: (Hoffmann et al. 2022, §4 and Fig. 2 caption). Gopher: 280B parameters, 300B tokens.
CHINCHILLA = dict(params=70e9, tokens=1.4e12, flops=5.76e23)
GOPHER = dict(params=280e9, tokens=300e9, flops=5.76e23)

# ------------------------------------------------------------ Kaplan et al. 2020


@dataclass(frozen=True)
class KaplanSingleLaw:
    """L(X) = (X_c / X)**alpha, one of Kaplan et al.'s single-variable laws."""

    alpha: float
    scale: float
    source: str


#: Kaplan et al. 2020, "Scaling Laws for Neural Language Models", arXiv:2001.08361,
#: eqs. 1.1-1.3 and Table 5. N counts non-embedding parameters; C_min is in PF-days.
KAPLAN_2020_L_OF_N = KaplanSingleLaw(alpha=0.076, scale=8.8e13, source="Kaplan et al. 2020, eq. 1.1 / Table 5")
KAPLAN_2020_L_OF_D = KaplanSingleLaw(alpha=0.095, scale=5.4e13, source="Kaplan et al. 2020, eq. 1.2 / Table 5")
KAPLAN_2020_L_OF_CMIN = KaplanSingleLaw(alpha=0.050, scale=3.1e8, source="Kaplan et al. 2020, eq. 1.3 / Table 5 (PF-days)")

#: The joint law L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D, with its own
#: separately fitted constants (Kaplan et al. 2020, eq. 1.5 and Table 2).
KAPLAN_2020_JOINT = dict(alpha_N=0.076, alpha_D=0.103, N_c=6.4e13, D_c=1.8e13)

#: Compute-efficient allocation, N_opt = 1.3e9 · C_min^0.73 with C_min in PF-days
#: (Kaplan et al. 2020, §6.1 and Table 6); tokens D_opt = 2e10 · C_min^0.27.
KAPLAN_2020_ALLOCATION = dict(N_coefficient=1.3e9, N_exponent=0.73, D_coefficient=2e10, D_exponent=0.27)
#: Kaplan et al. trained models from 768 to 1.5e9 non-embedding parameters (§2, App. A):
#: where the allocation above asks for larger models it extrapolates.
KAPLAN_2020_MODEL_SIZES = (768, 1.5e9)

# ----------------------------------------------------------------- data limits

#: Villalobos et al. 2024, "Will we run out of data?", arXiv:2211.04325v2 (ICML 2024):
#: effective stock of public human text ≈ 3e14 tokens, 90% interval 1e14-1e15; median
#: year of full use 2028 (Fig. 1 caption); the abstract gives 2026-2032 for full use.
#: "Effective": the estimate "includes only data that is sufficiently high-quality to be
#: used for training, and accounts for the possibility of training models for multiple
#: epochs" (Epoch AI's summary of the paper, June 2024), so repeating this stock again
#: would count repetition twice. At the median year datasets reach about 4e14 tokens,
#: ~5e28 FLOP for models that are not overtrained (Fig. 1 caption). The dataset sizes
#: are projected two ways: by extrapolating the historical growth of training sets,
#: and from projected training compute with compute-optimal scaling.
VILLALOBOS_2024_STOCK_TOKENS = 3e14
VILLALOBOS_2024_STOCK_INTERVAL = (1e14, 1e15)
VILLALOBOS_2024_MEDIAN_YEAR = 2028
VILLALOBOS_2024_YEAR_INTERVAL = (2026, 2032)
VILLALOBOS_2024_MEDIAN_DATASET = dict(tokens=4e14, flops=5e28)

#: Epoch AI (Sevilla, Besiroglu, Cottier, You, Roldán, Villalobos & Erdil, 20 August 2024),
#: "Can AI scaling continue through 2030?": training runs of about 2e29 FLOP "will likely be
#: feasible" by 2030. Of the four constraints studied, power binds first (a single 1-5 GW
#: campus allows 1e28-3e29 FLOP), then chip production; data (400T to 20 quadrillion
#: tokens once multimodal data are counted) allows 6e28-2e32 FLOP, and the latency wall
#: lies further out. Ranges in FLOP by 2030, as the report gives them.
EPOCH_2024_FEASIBLE_FLOP_2030 = 2e29
EPOCH_2024_CONSTRAINTS_2030 = {"power (one 1-5 GW campus)": (1e28, 3e29), "data (text and multimodal)": (6e28, 2e32)}

# ---------------------------------------------------------------- trends, cost

#: Hestness et al. 2017, "Deep Learning Scaling is Predictable, Empirically",
#: arXiv:1712.00409 (Baidu): generalisation error falls as a power law of training-set size
#: in machine translation, language modelling, image classification and speech
#: recognition, with exponents between -0.35 and -0.07 (shallower than the -0.5 theory
#: predicts); better models shift the curves but not the exponents (abstract and §1).
HESTNESS_2017_EXPONENT_RANGE = (-0.35, -0.07)

#: Scaling in other modalities. Zhai, Kolesnikov, Houlsby & Beyer 2022, "Scaling Vision
#: Transformers", CVPR 2022, arXiv:2106.04560, abstract: models and data scaled "both up and
#: down" characterise error against data and compute; a 2B-parameter ViT reaches 90.45% ImageNet
#: top-1. Cherti et al. 2023, "Reproducible scaling laws for contrastive language-image
#: learning", CVPR 2023, arXiv:2212.07143, abstract: power laws for CLIP models trained on up to
#: 2B image-text pairs, on zero-shot classification, retrieval, linear probing and fine-tuning;
#: "the training distribution plays a key role": OpenAI's and OpenCLIP's models scale
#: differently "despite identical model architectures and similar training recipes".
ZHAI_2022_VIT = dict(params=2e9, imagenet_top1=0.9045)
CHERTI_2023_MAX_PAIRS = 2e9

#: Bloom, Jones, Van Reenen & Webb 2020, "Are Ideas Getting Harder to Find?", American Economic
#: Review 110(4), 1104-44 (NBER w23782, abstract): "The number of researchers required today to
#: achieve the famous doubling every two years of the density of computer chips is more than 18
#: times larger than the number required in the early 1970s."
BLOOM_2020_MOORE_RESEARCHERS_FACTOR = 18

#: Moore 1965 predicted components per chip doubling every year; Moore 1975 revised it
#: to every two years ("Progress in digital integrated electronics", IEDM 1975).
MOORE_DOUBLING_YEARS = 2.0
#: Sevilla et al. 2022, "Compute Trends Across Three Eras of ML", arXiv:2202.05924,
#: abstract and Table 2: doubling time of training compute in months.
SEVILLA_2022_DOUBLING_MONTHS = {"pre-deep-learning (1952-2010)": 21.3, "deep learning (2010-2022)": 5.7,
                                "large-scale (2015-2022)": 9.9}
#: Epoch AI (Sevilla & Roldán, May 2024), "Training compute of frontier AI models grows
#: by 4-5x per year".
EPOCH_2024_COMPUTE_GROWTH_PER_YEAR = (4.0, 5.0)

#: GPT-3: 175B parameters, 300B training tokens, 3.14e23 FLOP (Brown et al. 2020,
#: arXiv:2005.14165, Table D.1: 3.64e3 PF-days).
GPT3 = dict(params=175e9, tokens=300e9, flops=3.14e23)
#: Epoch AI's 90% interval for GPT-4's training compute (central estimate 2.1e25 FLOP,
#: confidence "Speculative"): Notable AI Models, snapshot of 24 Feb 2025, GPT-4's compute notes.
EPOCH_GPT4_FLOP_INTERVAL = (8.2e24, 4.4e25)

#: The Transformer (big) of Vaswani et al. 2017 ("Attention Is All You Need",
#: arXiv:1706.03762): 213M parameters (Table 3) and 2.3e19 training FLOP for English-German
#: (Table 2), their own estimate from training time (3.5 days) × 8 P100 GPUs × an assumed
#: sustained 9.5 TFLOP/s each. Epoch AI's hardware-based estimate for the same run is
#: 7.4e18 (Notable AI Models, snapshot of 24 February 2025).
TRANSFORMER_BIG = dict(params=213e6, flops=2.3e19, epoch_flops=7.4e18)

#: Worldwide semiconductor sales, US dollars per year (Semiconductor Industry Association
#: press releases, monthly data compiled by WSTS): 2000 $204B, 2001 $139B (-32%, SIA,
#: 3 February 2002); 2022 $574.1B (record, as revised), 2023 $526.8B (-8.2%, SIA, 5 February 2024);
#: 2024 $627.6B (+19.1%, SIA, February 2025).
SEMICONDUCTOR_SALES_USD = {2000: 204e9, 2001: 139e9, 2022: 574.1e9, 2023: 526.8e9, 2024: 627.6e9}

#: Alphabet's capital expenditures: $32.3B in 2023, $52.5B in 2024, and "approximately
#: $75 billion" planned for 2025 (Alphabet Q4 2024 earnings release, 4 February 2025). One
#: company's step up in spending during the AI build-out, as reported by the company.
ALPHABET_CAPEX_USD = {2023: 32.3e9, 2024: 52.5e9, 2025: 75e9}

#: Pearce & Song 2024, "Reconciling Kaplan and Chinchilla Scaling Laws" (TMLR,
#: arXiv:2406.12907): total parameters N_T ≈ N + 47,491 · N^(1/3) for non-embedding N,
#: fitted to Chinchilla's model shapes (32k vocabulary, d_model / n_layer = 39.2).
PEARCE_SONG_2024_EMBEDDING_COEFFICIENT = 47_491.0

# ------------------------------------------------------------- hardware and price


@dataclass(frozen=True)
class Accelerator:
    """Peak dense throughput of one accelerator at 16-bit precision, from its datasheet."""

    name: str
    peak_flops: float
    precision: str
    source: str


#: Peak dense (no structured sparsity) 16-bit tensor throughput per chip, FLOP/s.
#: Datasheets print the H100 and A100 numbers "with sparsity" as twice these.
ACCELERATORS = {
    "V100": Accelerator("NVIDIA V100 SXM2", 125e12, "FP16 tensor",
                        "NVIDIA Tesla V100 datasheet (2017): 125 TFLOPS deep learning"),
    "A100": Accelerator("NVIDIA A100 SXM", 312e12, "BF16 tensor, dense",
                        "NVIDIA A100 datasheet (2020): 312 TFLOPS BF16 (624 with sparsity)"),
    "H100": Accelerator("NVIDIA H100 SXM", 989.4e12, "BF16 tensor, dense",
                        "NVIDIA H100 datasheet (2022): 1,979 TFLOPS BF16 with sparsity, half without"),
    "TPUv4": Accelerator("Google TPU v4", 275e12, "BF16",
                         "Google Cloud TPU v4 documentation: 275 TFLOPS peak bf16 per chip"),
}

#: An ASSUMED rental price, not a market quote: DeepSeek-AI (2024), "DeepSeek-V3 Technical
#: Report", arXiv:2412.19437, Table 1, prices its 2.788M H800 GPU-hours "assuming the rental
#: price of the H800 GPU is $2 per GPU hour". Prices change; pass your own.
ASSUMED_USD_PER_GPU_HOUR = 2.0

# ---------------------------------------------------------------- dataset sizes

#: Llama 3 (Meta AI, 18 April 2024) was pre-trained on over 15T tokens (Llama 3 model card;
#: Dubey et al. 2024, arXiv:2407.21783: 15.6T for Llama 3.1-405B).
LLAMA3_TRAINING_TOKENS = 15e12
LLAMA3_RELEASE_DATE = "2024-04-18"
#: Epoch AI data insight "The size of datasets used to train language models doubles
#: approximately every six months" (Rahman & Owen, 19 June 2024): 3.7x per year. The page
#: is updated; later snapshots say 3.1x and 3.0x per year, so cite the date.
EPOCH_2024_DATASET_GROWTH_PER_YEAR = 3.7
EPOCH_2024_DATASET_GROWTH_DATE = "2024-06-19"

# =====================================================================================
# Scaling since Chinchilla (lesson 06): test-time compute, mixture of experts, precision,
# data filtering, downstream prediction, algorithmic progress, hyperparameter laws.
# Each value was read in the source named beside it; section, table or figure given.
# =====================================================================================

#: Brown et al. 2024, "Large Language Monkeys: Scaling Inference Compute with Repeated
#: Sampling", arXiv:2407.21787, abstract: on SWE-bench Lite, DeepSeek-Coder-V2-Instruct
#: (named DeepSeek-V2-Coder-Instruct in v1) solves 15.9% of issues with one sample and 56%
#: with 250 samples; the single-sample state of the art was 43%. "Coverage" is the fraction
#: of problems solved by at least one sample.
BROWN_2024_SWE_BENCH_LITE = dict(samples=(1, 250), coverage=(0.159, 0.56), single_sample_sota=0.43)

#: Snell, Lee, Xu & Kumar 2024, "Scaling LLM Test-Time Compute Optimally can be More
#: Effective than Scaling Model Parameters", arXiv:2408.03314, abstract: choosing the
#: test-time strategy per prompt is "more than 4x" as efficient as best-of-N, and in a
#: FLOPs-matched comparison test-time compute beats a 14x larger model on problems where
#: the small model has "somewhat non-trivial success rates".
SNELL_2024_EFFICIENCY_OVER_BEST_OF_N = 4.0
SNELL_2024_LARGER_MODEL_FACTOR = 14.0

#: Mixtral 8x7B architecture: Jiang et al. 2024, "Mixtral of Experts", arXiv:2401.04088,
#: Table 1 (dim 4096, 32 layers, head_dim 128, hidden_dim 14336, 32 heads, 8 kv heads,
#: vocabulary 32000, 8 experts, top-2). Experts are SwiGLU blocks (three matrices, §2.1);
#: the released checkpoint has separate input and output embeddings.
MIXTRAL_8X7B_ARCHITECTURE = dict(n_layer=32, d_model=4096, d_ff=14336, n_heads=32, n_kv_heads=8,
                                 head_dim=128, vocab_size=32000, n_experts=8, top_k=2,
                                 tied_embeddings=False)
#: Published counts: 46.7B total, 12.9B used per token (Mistral AI, "Mixtral of experts",
#: blog, 11 December 2023); the paper's abstract rounds them to 47B and 13B.
MIXTRAL_8X7B_PUBLISHED_PARAMS = dict(total=46.7e9, active=12.9e9)

#: DeepSeek-V3 (DeepSeek-AI 2024, arXiv:2412.19437; official README of deepseek-ai/DeepSeek-V3):
#: 671B total parameters, 37B activated per token, pre-trained on 14.8T tokens; 2.788M H800
#: GPU-hours for the full training, 2.664M of them for pre-training. (The Hugging Face
#: checkpoint is 685B: 671B main model plus a 14B multi-token-prediction module.)
DEEPSEEK_V3 = dict(total_params=671e9, active_params=37e9, tokens=14.8e12,
                   gpu_hours_total=2.788e6, gpu_hours_pretraining=2.664e6)

#: Kumar et al. 2024, "Scaling Laws for Precision", arXiv:2411.04330 (ICLR 2025), App. K,
#: Table 2: fitted constants of L = A·N_eff^(-alpha) + B·D^(-alpha) + E (alpha = beta tied)
#: with N_eff = N·prod_x (1 - exp(-P_x/gamma_x + n_x)) over weights, activations and KV cache
#: (App. K: each exponential "is really computed with offset" n_x). Fitted on integer-type
#: quantised training of a sweep of small models (KUMAR_2024_FIT_SWEEP); the abstract's
#: 1.7B parameters and 26B tokens are where the predictions were *validated*.
KUMAR_2024_FIT = dict(A=4.299e3, alpha=0.4965, B=1.806e4, E=2.7648,
                      gamma=dict(weights=2.6745, activations=2.2102, kv_cache=0.9578),
                      offset=dict(weights=0.3037, activations=1.4072, kv_cache=2.4185))
#: Kumar et al. 2024's sweep: "We fit on over 465 pretraining runs and validate our predictions on
#: model sizes up to 1.7B parameters trained on up to 26B tokens" (abstract); the runs sweep N over
#: 30, 60, 110 and 220 million non-embedding parameters and D over 1.5, 3, 6, 13 and 26 billion
#: tokens (their description of the experiments).
KUMAR_2024_FIT_SWEEP = dict(params_non_embedding=(30e6, 60e6, 110e6, 220e6), tokens=(1.5e9, 3e9, 6e9, 13e9, 26e9),
                            runs=465, validated_up_to_params=1.7e9, validated_up_to_tokens=26e9)
#: Compute-optimal pretraining precision "around 7-8 bits" when N, D and P are optimised
#: jointly, independent of compute (Kumar et al. 2024, §4.3.2 and Finding 3). Training
#: compute scales as C = (6/16)·N·D·P (their eq. 5).
KUMAR_2024_OPTIMAL_BITS = (7.0, 8.0)

#: Goyal, Maini, Lipton, Raghunathan & Kolter 2024, "Scaling Laws for Data Filtering — Data
#: Curation cannot be Compute Agnostic", CVPR 2024, arXiv:2404.07177: LAION kept about 10% of
#: the crawled data (every abstract), and a model trained on unfiltered Common Crawl beats one
#: trained on LAION "post 40 or more repetitions": a sentence of the abstract on the CVPR 2024
#: poster page (cvpr.thecvf.com/virtual/2024/poster/30322) only, not of the arXiv abstract nor
#: of the proceedings' (openaccess.thecvf.com).
GOYAL_2024_LAION_KEPT_FRACTION = 0.10
GOYAL_2024_REPETITIONS_WHERE_UNFILTERED_WINS = 40
#: Their fitted utilities b and half-lives tau (in epochs) of four quality buckets of the
#: DataComp medium pool (12.8M samples each, ranked by T-MARS score, top 0-10% first),
#: with a = 0.025, irreducible error d = 0.1 and samples counted in units of 100,000: the
#: authors' repository locuslab/scaling_laws_data_filtering, results/parameter_values.jsonl,
#: key "tmars_imagenet1k_utility" (ImageNet zero-shot error of CLIP models).
GOYAL_2024_BUCKETS = (
    dict(name="top 0-10%", utility=-0.16, half_life=6.7272727272727275),
    dict(name="top 10-20%", utility=-0.125, half_life=8.545454545454547),
    dict(name="top 20-30%", utility=-0.1, half_life=5.2727272727272725),
    dict(name="top 30-40%", utility=-0.085, half_life=2.2727272727272725),
)
GOYAL_2024_CONSTANTS = dict(a=0.025, d=0.1, bucket_size=12_800_000, sample_unit=100_000)

#: Gadre et al. 2024, "Language models scale reliably with over-training and on downstream
#: tasks", arXiv:2403.08540, §4 and Table 1: a loss fit costing 2.4e19 FLOPs predicts the C4
#: loss of a 1.4B model on 900B tokens and of a 6.9B model on 138B tokens within 0.7%
#: relative error; a downstream fit costing 2.7e20 FLOPs predicts their 17-task average
#: top-1 error within 3.6% and 0.05%; without the 1.4B run in the fit the 6.9B error is
#: 10.64%. Downstream error follows Err(L) = epsilon - k·exp(-gamma·L) (their eq. 5).
GADRE_2024 = dict(
    targets={"1.4B, 900B tokens": (1.4e9, 900e9), "6.9B, 138B tokens": (6.9e9, 138e9)},
    loss_fit_flops=2.4e19, downstream_fit_flops=2.7e20,
    loss_relative_error={"1.4B, 900B tokens": 0.007, "6.9B, 138B tokens": 0.007},
    error_relative_error={"1.4B, 900B tokens": 0.036, "6.9B, 138B tokens": 0.0005},
)

#: Llama Team, AI @ Meta 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, §3.2.1:
#: optimal training tokens N*(C) = A·C^alpha, "(alpha, A) = (0.53, 0.29)" in the text and
#: "alpha = 0.537, A = 0.299" in the legend of Figure 3; extrapolated to 3.8e25 FLOPs it
#: "suggests training a 402B parameter model on 16.55T tokens". IsoFLOP runs spanned 6e18
#: to 1e22 FLOPs; the ARC-Challenge forecast (Figure 4) chains FLOPs -> normalised NLL of
#: the correct answer -> accuracy and "extrapolates over four orders of magnitude".
LLAMA3_TOKEN_FIT_TEXT = dict(alpha=0.53, A=0.29)
LLAMA3_TOKEN_FIT_FIGURE = dict(alpha=0.537, A=0.299)
LLAMA3_FLAGSHIP_PLAN = dict(flops=3.8e25, params=402e9, tokens=16.55e12)
LLAMA3_ISOFLOP_RANGE = (6e18, 1e22)

#: Ho et al. 2024, "Algorithmic progress in language models", arXiv:2403.05812: the compute
#: needed to reach a fixed performance halves about every 8 months; arXiv v1 abstract gives
#: a 95% confidence interval of about 5 to 14 months, the NeurIPS 2024 version a 90%
#: interval of about 2 to 22 months. Data: 200+ evaluations on WikiText and Penn Treebank,
#: 2012-2023.
HO_2024_HALVING_MONTHS = 8.0
HO_2024_HALVING_INTERVAL_ARXIV_95 = (5.0, 14.0)
HO_2024_HALVING_INTERVAL_NEURIPS_90 = (2.0, 22.0)

#: DeepSeek-AI (Bi et al.) 2024, "DeepSeek LLM", arXiv:2401.02954, §3.1 eq. 1, fitted on
#: runs of 1e17 to 2e19 FLOPs: eta_opt = 0.3118·C^-0.1250, B_opt = 0.2920·C^0.3271 (B in
#: tokens); C = M·D with M = 72·n_layer·d_model² + 12·n_layer·d_model·l_seq the
#: non-embedding FLOPs per token (§3.2, eq. 2).
DEEPSEEK_LLM_HYPERPARAMETER_LAW = dict(lr_coefficient=0.3118, lr_exponent=-0.1250,
                                       batch_coefficient=0.2920, batch_exponent=0.3271)
#: The two models they trained with it: 30 and 95 layers (§2.2), widths 4096 and 8192
#: (Table 2), sequence length 4096, 2T tokens; batch 2304 and 4608 sequences, peak learning
#: rate 4.2e-4 and 3.2e-4 (Table 2; also the README of deepseek-ai/DeepSeek-LLM).
DEEPSEEK_LLM_MODELS = {
    "7B": dict(n_layer=30, d_model=4096, seq_len=4096, tokens=2e12, batch_sequences=2304, lr=4.2e-4),
    "67B": dict(n_layer=95, d_model=8192, seq_len=4096, tokens=2e12, batch_sequences=4608, lr=3.2e-4),
}

#: Yang et al. 2022, "Tensor Programs V: Tuning Large Neural Networks via Zero-Shot
#: Hyperparameter Transfer", arXiv:2203.03466, abstract: hyperparameters tuned on a 13M
#: model beat published BERT-large (350M) at a tuning cost of one BERT-large pretraining;
#: tuned on a 40M model they beat published GPT-3 6.7B at 7% of its pretraining cost.
YANG_2022_MUTRANSFER = dict(bert_proxy=13e6, bert_target=350e6, gpt3_proxy=40e6, gpt3_target=6.7e9,
                            gpt3_tuning_cost_fraction=0.07)
