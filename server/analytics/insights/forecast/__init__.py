"""The forecast of a planned show: features from the platform's past shows (`features`),
the fitted model that answers with a range and its reasons (`model`), the candidates and
their backtest (`fitting`, the only module that imports scikit-learn), a generated
history with known structure (`synthetic`) and the retraining job (`trainer`)."""
