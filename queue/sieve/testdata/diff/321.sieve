# 321: unknown command
frobnicate;
