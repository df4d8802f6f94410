# 145: :count ne with a key list
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "ne" :comparator "i;ascii-numeric" "from" ["1", "2"] { fileinto "Ne"; } else { fileinto "No"; }
