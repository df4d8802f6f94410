# 214: body :content with an empty type list
require ["fileinto", "body"];
if body :content "" :contains "pineapple" { fileinto "Empty"; } else { fileinto "No"; }
