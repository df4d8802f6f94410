# 001: empty script: implicit keep
