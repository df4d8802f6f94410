# 174: string :is empty variable
require ["fileinto", "variables"];
if string :is "${undefined}" "" { fileinto "Empty"; }
