# 349: unterminated bracket comment
keep; /* open
