# 512: i;ascii-numeric :is of a word and an empty key
require ["fileinto", "comparator-i;ascii-numeric"];
if header :is :comparator "i;ascii-numeric" "x-word" "" { fileinto "BothInf"; } else { fileinto "No"; }
