"""The views of a model admin, as mixins of ``kingadmin.options.ModelAdmin``."""

# Names of the list's and forms' POST parameters (as in Django's admin).
IS_POPUP_VAR = "_popup"
ACTION_VAR = "action"
SELECTED_VAR = "_selected_action"
CONFIRM_VAR = "post"
SAVE_VAR = "_save"
CONTINUE_VAR = "_continue"
ADD_ANOTHER_VAR = "_addanother"
