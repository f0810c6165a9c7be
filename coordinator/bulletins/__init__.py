"""JMA bulletins (気象庁防災情報XML) and the declarations they propose to the secretariat."""
