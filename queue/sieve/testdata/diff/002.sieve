# 002: explicit keep
keep;
