# 236: currentdate zone after :zone
require ["fileinto", "date", "variables"];
if currentdate :zone "+0530" :matches "zone" "*" { fileinto "z${1}"; }
