# 382: body :content text with :matches
require ["fileinto", "body"];
if body :content "text" :matches "*pineapple*" { fileinto "Fruit"; }
