# 180: set without variables extension is invalid
set "a" "b";
