"""Insight into trained models: gates, saliency, corpus statistics, plots and reports."""
