# 232: date with an unknown date part
require ["fileinto", "date", "variables"];
if date :is "date" "century" "21" { keep; }
