# 337: else without if
else { keep; }
