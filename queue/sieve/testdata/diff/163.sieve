# 163: set :quotewildcard
require ["fileinto", "variables"];
set :quotewildcard "q" "a*b?c\\d";
if string :is "${q}" "a\\*b\\?c\\\\d" { fileinto "Quoted"; } else { fileinto "No"; }
