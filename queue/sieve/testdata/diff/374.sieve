# 374: string :matches over several sources sets the variables of the matching one
require ["fileinto", "variables"];
if string :matches ["alpha-1", "beta-2"] "beta-*" { fileinto "n${1}"; }
