# 511: i;ascii-numeric :is of an empty value and a word: both are infinity (RFC 4790 §9.1.1)
require ["fileinto", "comparator-i;ascii-numeric"];
if header :is :comparator "i;ascii-numeric" "x-empty" "none" { fileinto "BothInf"; } else { fileinto "No"; }
